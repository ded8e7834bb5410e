using System.Buffers.Binary;
using Wsss.Core.Imaging.Png;
using Wsss.Core.IO;

namespace Wsss.Core.Tests.Imaging;

/// <summary>Fixture paths and PNG byte surgery shared by the imaging tests.</summary>
internal static class ImagingTestHelpers
{
    public static string Fixture(string name) => TestUtil.FixturePath("imaging", name);

    public static string FixtureDir => TestUtil.FixturePath("imaging");

    public static string NewTempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "wsss-imaging-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Loads a (H, W, C) or (H, W) uint8 reference written by the fixture script.</summary>
    public static (int[] Shape, byte[] Data) LoadU8(string path)
    {
        var a = Npy.Read(path);
        Assert.That(a.DType, Is.EqualTo(NpyDType.UInt8), path);
        return (a.Shape.ToArray(), a.ToUInt8());
    }

    /// <summary>The chunks of a PNG as (offset of the length field, type, data length).</summary>
    public static List<(int Offset, string Type, int Length)> Chunks(byte[] png)
    {
        var list = new List<(int, string, int)>();
        int pos = 8;
        while (pos + 12 <= png.Length)
        {
            long len = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            if (pos + 12L + len > png.Length) break;
            list.Add((pos, type, (int)len));
            pos += 12 + (int)len;
        }
        return list;
    }

    /// <summary>Recomputes the CRC of every complete chunk, so that a mutation reaches the decoder's later checks.</summary>
    public static void FixCrcs(byte[] png)
    {
        foreach (var (off, _, len) in Chunks(png))
        {
            uint crc = PngCrc32.Compute(png.AsSpan(off + 4, len + 4));
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(off + 8 + len), crc);
        }
    }
}
