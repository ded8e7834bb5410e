using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Wsss.Core.Data;
using Wsss.Core.Imaging;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// Loading a VOC-layout set (JPEG photo + palette PNG label map + tags per item): the four real MSRC images of
/// tests/Wsss.Core.Tests/Fixtures/msrc_mini, read 25 times each (100 items), sequentially and through the batch
/// loader's parallel decode. Baseline: scripts/pil_dataset_load.py on the same files.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, warmupCount: 2, iterationCount: 10)]
public class DatasetLoadingBenchmarks
{
    private const int Repeats = 25;
    private VocDataset _dataset = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Wsss.Core.sln"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("run the benchmarks from inside the repository");
        _dataset = new VocDataset(Path.Combine(dir.FullName, "tests", "Wsss.Core.Tests", "Fixtures", "msrc_mini"));
    }

    [Benchmark(Baseline = true)]
    public long Sequential()
    {
        long sum = 0;
        for (int r = 0; r < Repeats; r++)
            for (int i = 0; i < _dataset.Count; i++)
            {
                var img = _dataset.LoadImage(i);
                var lab = _dataset.LoadLabels(i)!;
                sum += img.Pixels[0] + lab.Labels[0] + _dataset.Tags(i).Count;
            }
        return sum;
    }

    [Benchmark]
    public long ParallelDecode()
    {
        long sum = 0;
        Parallel.For(0, Repeats * _dataset.Count, () => 0L, (k, _, acc) =>
        {
            int i = k % _dataset.Count;
            var img = _dataset.LoadImage(i);
            var lab = _dataset.LoadLabels(i)!;
            return acc + img.Pixels[0] + lab.Labels[0] + _dataset.Tags(i).Count;
        }, acc => Interlocked.Add(ref sum, acc));
        return sum;
    }
}
