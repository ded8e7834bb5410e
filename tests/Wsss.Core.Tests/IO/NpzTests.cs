using NUnit.Framework;
using System.IO.Compression;
using Wsss.Core.IO;
using static Wsss.Core.Tests.IO.IoTestHelpers;

namespace Wsss.Core.Tests.IO;

[TestFixture]
public class NpzTests
{
    [TestCase("savez_stored.npz", CompressionMethodStored)]
    [TestCase("savez_compressed.npz", CompressionMethodDeflated)]
    public void ReadsNumpyArchives(string name, int expectedMethod)
    {
        Assert.That(FirstCompressionMethod(File.ReadAllBytes(Fixture(name))), Is.EqualTo(expectedMethod), "fixture layout");
        IReadOnlyDictionary<string, NpyArray> arrays = Npz.Read(Fixture(name));

        Assert.That(arrays.Keys, Is.EqualTo(new[] { "image", "cams", "labels", "valid" }));
        Assert.That(arrays["image"].DType, Is.EqualTo(NpyDType.UInt8));
        Assert.That(arrays["image"].Shape, Is.EqualTo(new[] { 2, 3, 3 }));
        Assert.That(arrays["image"].ToUInt8(), Is.EqualTo(Enumerable.Range(0, 18).Select(i => (byte)i).ToArray()));
        Assert.That(arrays["cams"].Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(arrays["cams"].ToFloat32(), Is.EqualTo(Enumerable.Range(0, 6).Select(i => (float)(i / 7.0)).ToArray()));
        Assert.That(arrays["labels"].ToInt64(), Is.EqualTo(new[] { 3L, -1L, 20L }));
        Assert.That(arrays["valid"].Shape, Is.Empty);
        Assert.That(arrays["valid"].ToBool(), Is.EqualTo(new[] { true }));
    }

    [TestCase(false, CompressionMethodStored)]
    [TestCase(true, CompressionMethodDeflated)]
    public void RoundTripsEveryDtypeAndRank(bool compressed, int expectedMethod)
    {
        var arrays = new Dictionary<string, NpyArray>
        {
            ["f32"] = NpyArray.FromFloat32([1.5f, -2f, 3.25f, 0f, 1e-30f, float.MaxValue], 1, 2, 3),
            ["f64"] = NpyArray.FromFloat64([Math.E], []),
            ["u8"] = NpyArray.FromUInt8([0, 1, 254, 255], 4),
            ["i32"] = NpyArray.FromInt32([int.MinValue, 0, int.MaxValue, 5], 2, 2),
            ["i64"] = NpyArray.FromInt64([long.MinValue, long.MaxValue], 2),
            ["dir/bool"] = NpyArray.FromBool([true, false, false], 3, 1, 1),
            ["empty"] = NpyArray.FromFloat32([], 0, 4),
        };

        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "a.npz");
            Npz.Write(path, arrays, compressed);
            Assert.That(FirstCompressionMethod(File.ReadAllBytes(path)), Is.EqualTo(expectedMethod));
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1), "no temporary file may be left behind");

            IReadOnlyDictionary<string, NpyArray> back = Npz.Read(path);
            Assert.That(back.Keys, Is.EqualTo(arrays.Keys));
            foreach ((string key, NpyArray expected) in arrays)
            {
                Assert.That(back[key].DType, Is.EqualTo(expected.DType), key);
                Assert.That(back[key].Shape, Is.EqualTo(expected.Shape), key);
                Assert.That(back[key].Data.ToArray(), Is.EqualTo(expected.Data.ToArray()), key);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void WritesDeterministicBytes()
    {
        var arrays = new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromInt32([1, 2, 3], 3) };
        var a = new MemoryStream();
        var b = new MemoryStream();
        Npz.Write(a, arrays, compressed: true);
        Npz.Write(b, arrays, compressed: true);
        Assert.That(a.ToArray(), Is.EqualTo(b.ToArray()));
    }

    [Test]
    public void MemberEntriesAreNamedWithNpySuffix()
    {
        var ms = new MemoryStream();
        Npz.Write(ms, new Dictionary<string, NpyArray> { ["weights"] = NpyArray.FromUInt8([1], 1) });
        ms.Position = 0;
        using var zip = new ZipArchive(ms, ZipArchiveMode.Read);
        Assert.That(zip.Entries.Select(e => e.FullName), Is.EqualTo(new[] { "weights.npy" }));
    }

    [Test]
    public void RejectsEmptyNames()
    {
        var arrays = new Dictionary<string, NpyArray> { [""] = NpyArray.FromUInt8([1], 1) };
        Assert.Throws<ArgumentException>(() => Npz.Write(new MemoryStream(), arrays));
    }

    [Test]
    public void RejectsCorruptZipNamingTheFile()
    {
        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "junk.npz");
            byte[] junk = new byte[300];
            new Random(3).NextBytes(junk);
            File.WriteAllBytes(path, junk);
            var ex = Assert.Throws<InvalidDataException>(() => Npz.Read(path));
            Assert.That(ex!.Message, Does.Contain(path));
            Assert.That(ex.Message, Does.Contain("not a readable zip archive"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestCase("savez_stored.npz")]
    [TestCase("savez_compressed.npz")]
    public void TruncatedArchivesFailCleanly(string name)
    {
        byte[] full = File.ReadAllBytes(Fixture(name));
        foreach (int length in new[] { 0, 4, 30, full.Length / 2, full.Length - 30, full.Length - 1 })
        {
            var ex = Assert.Throws<InvalidDataException>(() => Npz.Read(new MemoryStream(full[..length]), "cut.npz"), $"length {length}");
            Assert.That(ex!.Message, Does.Contain("cut.npz"), $"length {length}");
        }
    }

    [Test]
    public void CorruptCompressedDataNamesArchiveAndMember()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("savez_compressed.npz"));
        // The first member's deflate stream starts right after its local header.
        int nameLength = BitConverter.ToUInt16(bytes, 26);
        int extraLength = BitConverter.ToUInt16(bytes, 28);
        int start = 30 + nameLength + extraLength;
        for (int i = start; i < start + 40; i++)
        {
            bytes[i] ^= 0x5A;
        }

        var ex = Assert.Throws<InvalidDataException>(() => Npz.Read(new MemoryStream(bytes), "flipped.npz"));
        Assert.That(ex!.Message, Does.Contain("flipped.npz"));
        Assert.That(ex.Message, Does.Contain("image.npy"));
    }

    [Test]
    public void CorruptMemberNamesArchiveAndMember()
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream s = zip.CreateEntry("bad.npy").Open();
            s.Write(File.ReadAllBytes(Fixture("f4_3d.npy"))[..150]);
        }

        ms.Position = 0;
        var ex = Assert.Throws<InvalidDataException>(() => Npz.Read(ms, "arch.npz"));
        Assert.That(ex!.Message, Does.Contain("arch.npz:bad.npy"));
        Assert.That(ex.Message, Does.Contain("truncated data"));
    }

    [Test]
    public void MemberWithUnsupportedDtypeIsRejected()
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream s = zip.CreateEntry("h.npy").Open();
            s.Write(File.ReadAllBytes(Fixture("f2_half.npy")));
        }

        ms.Position = 0;
        var ex = Assert.Throws<InvalidDataException>(() => Npz.Read(ms, "arch.npz"));
        Assert.That(ex!.Message, Does.Contain("'<f2' is not supported"));
    }

    private const int CompressionMethodStored = 0;
    private const int CompressionMethodDeflated = 8;

    /// <summary>Compression method field of the first local file header.</summary>
    private static int FirstCompressionMethod(byte[] zip) => BitConverter.ToUInt16(zip, 8);
}
