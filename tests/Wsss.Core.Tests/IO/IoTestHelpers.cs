using NUnit.Framework;
using System.Text;

namespace Wsss.Core.Tests.IO;

/// <summary>Shared helpers for the IO tests: fixture paths, temp folders, non-seekable streams.</summary>
internal static class IoTestHelpers
{
    public static string Fixture(string name) =>
        Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "io", name);

    public static string NewTempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "wsss-io-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Builds a version 1.0 .npy record from a raw header dict text and data bytes.</summary>
    public static byte[] NpyBytes(string header, byte[] data, int major = 1)
    {
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        byte[] text = Encoding.Latin1.GetBytes(header + "\n");
        if (major == 1)
        {
            ms.Write(BitConverter.GetBytes((ushort)text.Length));
        }
        else
        {
            ms.Write(BitConverter.GetBytes((uint)text.Length));
        }

        ms.Write(text);
        ms.Write(data);
        return ms.ToArray();
    }
}
