using BenchmarkDotNet.Attributes;
using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Png;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// PNG decode/encode of a 320×213 VOC-style label map (palette, VOC colours, blobs with void borders, as the
/// MSRC ground truth) and decode/encode of a 500×375 RGB photo-like PNG. Set WSSS_BENCH_LABEL_PNG /
/// WSSS_BENCH_RGB_PNG to benchmark real files instead (e.g. ../shared/data/msrc/SegmentationClass/1_27_s.png).
/// </summary>
[MemoryDiagnoser]
public class PngBenchmarks
{
    private byte[] _labelPng = [];
    private byte[] _rgbPng = [];
    private LabelMap _labels = null!;
    private ImageBuffer _rgb = null!;

    [GlobalSetup]
    public void Setup()
    {
        _labels = Environment.GetEnvironmentVariable("WSSS_BENCH_LABEL_PNG") is { Length: > 0 } lp ? PngDecoder.DecodeLabels(lp) : SyntheticLabels(320, 213);
        var ms = new MemoryStream();
        PngEncoder.WriteLabels(ms, _labels);
        _labelPng = ms.ToArray();

        _rgb = Environment.GetEnvironmentVariable("WSSS_BENCH_RGB_PNG") is { Length: > 0 } rp ? PngDecoder.Decode(rp) : SyntheticPhoto(500, 375);
        ms = new MemoryStream();
        PngEncoder.Write(ms, _rgb);
        _rgbPng = ms.ToArray();
    }

    /// <summary>Decodes the label map PNG to its palette indices.</summary>
    [Benchmark]
    public LabelMap DecodeLabelMap() => PngDecoder.DecodeLabels(new MemoryStream(_labelPng, writable: false));

    /// <summary>Encodes the label map as a VOC palette PNG.</summary>
    [Benchmark]
    public long EncodeLabelMap()
    {
        var ms = new MemoryStream(_labelPng.Length * 2);
        PngEncoder.WriteLabels(ms, _labels);
        return ms.Length;
    }

    /// <summary>Decodes the RGB PNG.</summary>
    [Benchmark]
    public ImageBuffer DecodeRgb() => PngDecoder.Decode(new MemoryStream(_rgbPng, writable: false));

    /// <summary>Encodes the RGB image (adaptive filters, zlib default level).</summary>
    [Benchmark]
    public long EncodeRgb()
    {
        var ms = new MemoryStream(_rgbPng.Length * 2);
        PngEncoder.Write(ms, _rgb);
        return ms.Length;
    }

    private static LabelMap SyntheticLabels(int w, int h)
    {
        var map = new LabelMap(w, h);
        (int Cx, int Cy, int R, byte L)[] blobs = [(80, 100, 60, 12), (220, 90, 50, 15), (170, 170, 40, 7)];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                foreach (var (cx, cy, r, l) in blobs)
                {
                    int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                    if (d2 < r * r) map.Labels[y * w + x] = l;
                    else if (d2 < (r + 3) * (r + 3) && map.Labels[y * w + x] == 0) map.Labels[y * w + x] = LabelMap.Void;
                }
        return map;
    }

    private static ImageBuffer SyntheticPhoto(int w, int h)
    {
        var img = new ImageBuffer(w, h, 3);
        uint s = 12345;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                {
                    s = s * 1664525 + 1013904223;
                    img.Pixels[(y * w + x) * 3 + c] = (byte)(127 + 90 * MathF.Sin(0.013f * x * (c + 1) + 0.021f * y) + (s >> 29));
                }
        return img;
    }
}
