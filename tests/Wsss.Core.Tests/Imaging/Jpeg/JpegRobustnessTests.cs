using System.Diagnostics;
using Wsss.Core.Imaging.Jpeg;

namespace Wsss.Core.Tests.Imaging.Jpeg;

/// <summary>Corrupt, truncated and unsupported files must raise <see cref="InvalidDataException"/> naming the file and the problem.</summary>
[TestFixture]
public class JpegRobustnessTests
{
    private static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(JpegDecoderTests.Dir, name));

    private static InvalidDataException Reject(byte[] data, string name = "bad.jpg")
    {
        var ex = Assert.Throws<InvalidDataException>(() => JpegDecoder.Decode(new MemoryStream(data), name))!;
        Assert.That(ex.Message, Does.Contain(name));
        return ex;
    }

    /// <summary>Offset of the byte after the 0xFF of the first SOFn marker.</summary>
    private static int SofOffset(byte[] data)
    {
        for (int i = 2; i + 1 < data.Length; i++)
            if (data[i] == 0xFF && data[i + 1] is 0xC0 or 0xC1 or 0xC2) return i + 1;
        throw new InvalidOperationException("no SOF");
    }

    [Test]
    public void ArithmeticCodingIsRejected()
    {
        var ex = Reject(Read(Path.Combine("unsupported", "arithmetic.jpg")), "arith.jpg");
        Assert.That(ex.Message, Does.Contain("arithmetic"));
    }

    [TestCase((byte)0xC3, "lossless")]
    [TestCase((byte)0xC5, "hierarchical")]
    [TestCase((byte)0xC7, "hierarchical")]
    [TestCase((byte)0xC9, "arithmetic")]
    public void UnsupportedProcessesAreRejected(byte marker, string word)
    {
        var data = Read("baseline_420.jpg");
        data[SofOffset(data)] = marker;
        Assert.That(Reject(data).Message, Does.Contain(word));
    }

    [Test]
    public void TwelveBitPrecisionIsRejected()
    {
        var data = Read("baseline_420.jpg");
        data[SofOffset(data) + 3] = 12;
        Assert.That(Reject(data).Message, Does.Contain("12-bit"));
    }

    [Test]
    public void HugeDeclaredDimensionsAreRejectedBeforeAllocation()
    {
        var data = Read("baseline_420.jpg");
        int o = SofOffset(data) + 4;
        data[o] = data[o + 1] = data[o + 2] = data[o + 3] = 0xFF;
        Assert.That(Reject(data).Message, Does.Contain("65535x65535"));
    }

    [TestCase("baseline_420.jpg")]
    [TestCase("progressive_420.jpg")]
    [TestCase("restart_progressive.jpg")]
    public void TruncatedFilesAreRejected(string file)
    {
        var data = Read(file);
        foreach (int keep in new[] { 1, 3, 20, 200, data.Length / 3, data.Length / 2, data.Length - 40 })
        {
            var ex = Reject(data[..keep]);
            Assert.That(ex.Message, Does.Contain("truncated").Or.Contain("SOI").Or.Contain("no scan").Or.Contain("ends early"), $"keep {keep}");
        }
    }

    [Test]
    public void NotAJpegIsRejected()
    {
        Assert.That(Reject("\x89PNG\r\n\x1a\n...."u8.ToArray()).Message, Does.Contain("SOI"));
        Reject([]);
    }

    [Test]
    public void MissingFileThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => JpegDecoder.Decode(Path.Combine(JpegDecoderTests.Dir, "missing.jpg")));

    /// <summary>
    /// Bounded random mutation (fixed seed): 400 variants of real files with 1-8 random byte changes, or a
    /// random truncation, must each decode or throw <see cref="InvalidDataException"/>, and all of them together
    /// must finish quickly (no hangs).
    /// </summary>
    [Test]
    public void RandomMutationsDecodeOrThrowInvalidData()
    {
        string[] files = ["baseline_420.jpg", "progressive_420.jpg", "restart_progressive.jpg", "restart_422_blocks.jpg", "cmyk_adobe.jpg", "msrc_20_9_s.jpg"];
        var random = new Random(20261121);
        var watch = Stopwatch.StartNew();
        int decoded = 0, rejected = 0;
        for (int n = 0; n < 400; n++)
        {
            var data = Read(files[n % files.Length]);
            if (random.Next(8) == 0)
            {
                data = data[..random.Next(data.Length)];
            }
            else
            {
                int edits = 1 + random.Next(8);
                for (int e = 0; e < edits; e++)
                {
                    // Bias half of the edits into the headers, where they do the most damage.
                    int at = random.Next(2) == 0 ? random.Next(Math.Min(data.Length, 700)) : random.Next(data.Length);
                    data[at] = random.Next(4) == 0 ? (byte)0xFF : (byte)random.Next(256);
                }
            }
            try
            {
                var image = JpegDecoder.Decode(new MemoryStream(data), $"mutant{n}.jpg");
                Assert.That(image.Pixels, Has.Length.EqualTo(image.Width * image.Height * image.Channels));
                decoded++;
            }
            catch (InvalidDataException ex)
            {
                Assert.That(ex.Message, Does.Contain($"mutant{n}.jpg"));
                rejected++;
            }
        }
        TestContext.Out.WriteLine($"decoded {decoded}, rejected {rejected}, {watch.ElapsedMilliseconds} ms");
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
        Assert.That(rejected, Is.GreaterThan(0));
    }
}
