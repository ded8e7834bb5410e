using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Wsss.Core.Crf;
using Wsss.Core.Imaging;
using Wsss.Core.Tensors;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// Peak resident memory of one dense CRF call above its inputs, as the spec measures pydensecrf:
/// <c>dotnet run -c Release --project benchmarks/Wsss.Core.Benchmarks -- crf-memory 1024 768</c>. The image is the
/// photo mosaic of <see cref="DenseCrfPhotoBenchmarks"/> tiled to the size; psa's parameters, 21 labels, 10 iterations.
/// Linux only: a small CRF runs first (so compiled code is not counted), then the peak (VmHWM) is reset through
/// /proc/self/clear_refs once the inputs exist and the tensor pool is empty.
/// </summary>
public static class DenseCrfMemory
{
    /// <summary>Runs the measurement for <paramref name="args"/> = [width, height]; prints bytes per pixel.</summary>
    public static int Run(string[] args)
    {
        int w = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        int h = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 375;
        const int labels = 21;
        byte[] mosaic = Mosaic(500, 375);
        var image = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                for (int c = 0; c < 3; c++) image[(y * w + x) * 3 + c] = mosaic[((y % 375) * 500 + x % 500) * 3 + c];
            }
        }

        var probs = (Tensor.Randn(new[] { labels, h, w }, new Generator(7)) * 3f).Softmax(0);
        Refine(64, 48, labels, (Tensor.Randn(new[] { labels, 48, 64 }, new Generator(8)) * 3f).Softmax(0), new byte[64 * 48 * 3]); // JIT the code first
        TensorPool.Trim();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        File.WriteAllText("/proc/self/clear_refs", "5"); // peak resident set := current
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long baseline = process.WorkingSet64;
        float first = Refine(w, h, labels, probs, image);

        process.Refresh();
        double perPixel = (process.PeakWorkingSet64 - baseline) / (double)((long)w * h);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{w}x{h}, 21 labels, 10 iterations: peak resident memory above the inputs {perPixel:F0} bytes per pixel ({(process.PeakWorkingSet64 - baseline) / 1e6:F0} MB; Q[0] = {first})"));
        return 0;
    }

    private static float Refine(int w, int h, int labels, Tensor probs, byte[] image)
    {
        using var crf = new DenseCrf(w, h, labels);
        crf.SetUnaryFromProbabilities(probs);
        crf.AddPairwiseGaussian(3, 3);
        crf.AddPairwiseBilateral(80, 13, image, 3, 10);
        return crf.Inference(10).Data[0];
    }

    private static byte[] Mosaic(int w, int h)
    {
        string[] names = ["msrc_14_10_s.jpg", "msrc_1_27_s.jpg", "msrc_5_3_s.jpg", "msrc_8_10_s.jpg"];
        var image = new byte[w * h * 3];
        for (int t = 0; t < 4; t++)
        {
            var photo = ImageCodecs.Decode(Path.Combine(AppContext.BaseDirectory, names[t])).ToRgb();
            int ox = (t % 2) * photo.Width, oy = (t / 2) * photo.Height;
            for (int y = oy; y < Math.Min(h, oy + photo.Height); y++)
            {
                for (int x = ox; x < Math.Min(w, ox + photo.Width); x++)
                {
                    for (int c = 0; c < 3; c++) image[(y * w + x) * 3 + c] = photo[y - oy, x - ox, c];
                }
            }
        }

        return image;
    }
}
