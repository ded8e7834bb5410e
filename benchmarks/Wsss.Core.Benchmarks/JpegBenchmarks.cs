using BenchmarkDotNet.Attributes;
using Wsss.Core.Imaging.Jpeg;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// Decodes an MSRC photo (320x213, baseline 4:2:0, 47 KB) from memory with <see cref="JpegDecoder"/>.
/// Compare with PIL on the same file: <c>/usr/bin/python3 benchmarks/Wsss.Core.Benchmarks/scripts/pil_decode.py</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class JpegBenchmarks
{
    private byte[] _data = [];

    /// <summary>Loads the file copied next to the benchmark assembly.</summary>
    [GlobalSetup]
    public void Setup() =>
        _data = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "msrc_14_10_s.jpg"));

    /// <summary>Full decode to RGB.</summary>
    [Benchmark]
    public int DecodeMsrcPhoto() => JpegDecoder.Decode(new MemoryStream(_data, 0, _data.Length, false, true)).Width;
}
