using Wsss.Core.Imaging.Jpeg;

namespace Wsss.Core.Tests.Imaging.Jpeg;

/// <summary>The Vector256 islow IDCT must equal the scalar one bit for bit over the range valid images produce, including clamping.</summary>
[TestFixture]
[NonParallelizable]
public class JpegIdctTests
{
    [Test]
    public void VectorAndScalarPathsAgree()
    {
        var random = new Random(5);
        var coefficients = new short[64];
        var quant = new ushort[64];
        var work = new int[64];
        var scalar = new byte[8 * 11];
        var vector = new byte[8 * 11];
        bool saved = JpegIdct.UseVector;
        try
        {
            for (int trial = 0; trial < 3000; trial++)
            {
                // Dequantised magnitudes up to 2^14 cover every valid 8-bit image (|DCT| <= 8192);
                // beyond that libjpeg's own shortcuts overflow differently from the full transform.
                int limit = trial % 2 == 0 ? 16384 : 600;
                for (int i = 0; i < 64; i++)
                {
                    quant[i] = (ushort)random.Next(1, trial % 3 == 0 ? 256 : 32);
                    int max = limit / quant[i];
                    coefficients[i] = random.Next(3) == 0 ? (short)random.Next(-max, max + 1) : (short)0;
                }
                JpegIdct.UseVector = false;
                JpegIdct.Transform(coefficients, quant, work, scalar, 11);
                JpegIdct.UseVector = true;
                JpegIdct.Transform(coefficients, quant, work, vector, 11);
                Assert.That(vector, Is.EqualTo(scalar), $"trial {trial}");
            }
        }
        finally
        {
            JpegIdct.UseVector = saved;
        }
    }

    [Test]
    public void DcOnlyBlockIsFlat()
    {
        var coefficients = new short[64];
        coefficients[0] = 10;
        var quant = Enumerable.Repeat((ushort)8, 64).ToArray();
        var output = new byte[64];
        JpegIdct.Transform(coefficients, quant, new int[64], output, 8);
        // 10 * 8 / 8 = 10 above the 128 level shift.
        Assert.That(output, Is.All.EqualTo(138));
    }

    [Test]
    public void ScalarFallbacksDecodeTheCorpusIdentically()
    {
        bool idct = JpegIdct.UseVector, colour = JpegColorConverter.UseVector;
        try
        {
            foreach (var path in Directory.GetFiles(JpegDecoderTests.Dir, "*.jpg"))
            {
                JpegIdct.UseVector = true;
                JpegColorConverter.UseVector = true;
                var vector = JpegDecoder.Decode(path);
                JpegIdct.UseVector = false;
                JpegColorConverter.UseVector = false;
                var scalar = JpegDecoder.Decode(path);
                Assert.That(scalar.Pixels, Is.EqualTo(vector.Pixels), Path.GetFileName(path));
            }
        }
        finally
        {
            JpegIdct.UseVector = idct;
            JpegColorConverter.UseVector = colour;
        }
    }
}
