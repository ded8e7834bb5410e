using Wsss.Core.Crf;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Crf;

/// <summary><see cref="DenseCrfRefiner.RefineMany"/>: same results as one by one, in order, within the memory budget.</summary>
public class DenseCrfBatchTests
{
    private static Tensor Probs(int labels, int h, int w, ulong seed)
    {
        var logits = TestUtil.Randn(seed, labels, h, w);
        return (logits * 2f).Softmax(0);
    }

    private static byte[] Bytes(int h, int w, int c, int seed)
    {
        var b = new byte[h * w * c];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static List<DenseCrfWorkItem> Items()
    {
        var items = new List<DenseCrfWorkItem>();
        int[][] sizes = [[37, 23, 5], [64, 48, 21], [20, 31, 2], [50, 40, 3], [17, 9, 1], [45, 33, 8]];
        for (int i = 0; i < sizes.Length; i++)
        {
            int w = sizes[i][0], h = sizes[i][1], l = sizes[i][2];
            var p = Probs(l, h, w, (ulong)(i + 1));
            if (i % 2 == 0)
            {
                items.Add(new DenseCrfWorkItem(Bytes(h, w, 3, i), 3, p));
            }
            else
            {
                var img = Tensor.Zeros(3, h, w);
                byte[] b = Bytes(h, w, 3, i);
                for (int k = 0; k < b.Length; k++) img.Data[k] = b[k];
                items.Add(new DenseCrfWorkItem(img, p));
            }
        }

        return items;
    }

    [Test]
    public void ResultsEqualSequentialRefinementInInputOrder()
    {
        var refiner = new DenseCrfRefiner(new DenseCrfOptions { Iterations = 5 });
        var items = Items();
        var seen = new List<int>();
        var progress = new SyncProgress(seen);
        var stats = new CrfBatchStatistics();
        Tensor[] batch = refiner.RefineManyCore(items, long.MaxValue, 3, progress, CancellationToken.None, stats);
        Assert.That(batch, Has.Length.EqualTo(items.Count));
        for (int i = 0; i < items.Count; i++)
        {
            var it = items[i];
            Tensor expected = it.Image is { } img ? refiner.Refine(img, it.Probabilities) : refiner.Refine(it.ImageBytes.Span, it.Channels, it.Probabilities);
            Assert.That(batch[i].Shape, Is.EqualTo(expected.Shape), $"item {i}");
            Assert.That(batch[i].ToArray(), Is.EqualTo(expected.ToArray()), $"item {i}");
        }

        lock (seen)
        {
            Assert.That(seen.Order(), Is.EqualTo(Enumerable.Range(1, items.Count)));
        }

        Assert.That(stats.PeakConcurrency, Is.InRange(1, 3));
    }

    [Test]
    public void TheMemoryBudgetBoundsTheItemsInFlight()
    {
        var refiner = new DenseCrfRefiner(new DenseCrfOptions { Iterations = 2 });
        var items = Items();
        long largest = items.Max(i => DenseCrf.EstimateWorkingSetBytes(i.Probabilities.Size(2), i.Probabilities.Size(1), i.Probabilities.Size(0), i.Channels));
        long budget = largest + largest / 2;
        var stats = new CrfBatchStatistics();
        refiner.RefineManyCore(items, budget, 8, null, CancellationToken.None, stats);
        Assert.That(stats.PeakEstimatedBytes, Is.LessThanOrEqualTo(budget));

        // A budget smaller than any item: every item runs, alone.
        var alone = new CrfBatchStatistics();
        var results = refiner.RefineManyCore(items, 1, 8, null, CancellationToken.None, alone);
        Assert.That(alone.PeakConcurrency, Is.EqualTo(1));
        Assert.That(results.All(r => r is not null), Is.True);

        // The degree of parallelism bounds it too.
        var one = new CrfBatchStatistics();
        refiner.RefineManyCore(items, long.MaxValue, 1, null, CancellationToken.None, one);
        Assert.That(one.PeakConcurrency, Is.EqualTo(1));
    }

    [Test]
    public void EstimateGrowsWithSizeAndLabels()
    {
        long a = DenseCrf.EstimateWorkingSetBytes(500, 375, 21);
        Assert.That(DenseCrf.EstimateWorkingSetBytes(1000, 375, 21), Is.GreaterThan(a));
        Assert.That(DenseCrf.EstimateWorkingSetBytes(500, 375, 40), Is.GreaterThan(a));
        Assert.That(DenseCrf.EstimateWorkingSetBytes(65535, 65535, 21), Is.GreaterThan(int.MaxValue), "64-bit arithmetic");
        Assert.That(() => DenseCrf.EstimateWorkingSetBytes(0, 5, 2), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("width"));
        Assert.That(() => DenseCrf.EstimateWorkingSetBytes(5, 5, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("labels"));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        var refiner = new DenseCrfRefiner();
        var items = Items();
        var p = Probs(3, 10, 12, 1);
        Assert.Multiple(() =>
        {
            Assert.That(() => refiner.RefineMany(null!, 1000), Throws.InstanceOf<ArgumentNullException>().With.Property("ParamName").EqualTo("items"));
            Assert.That(() => refiner.RefineMany(items, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("memoryBudgetBytes"));
            Assert.That(() => refiner.RefineMany(items, 1000, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("maxDegreeOfParallelism"));
            Assert.That(() => refiner.RefineMany([null!], 1000), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("items"));
            Assert.That(() => refiner.RefineMany([new DenseCrfWorkItem(new byte[10], 3, p)], 1000), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("items").And.Message.Contains("Item 0"));
            Assert.That(() => refiner.RefineMany([new DenseCrfWorkItem(Tensor.Zeros(3, 10, 11), p)], 1000), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("items"));
            Assert.That(() => new DenseCrfWorkItem(null!, p), Throws.InstanceOf<ArgumentNullException>().With.Property("ParamName").EqualTo("image"));
        });
    }

    [Test]
    public void CancellationStopsTheBatch()
    {
        var refiner = new DenseCrfRefiner();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.That(() => refiner.RefineMany(Items(), long.MaxValue, 2, null, cts.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    /// <summary>Records reports synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class SyncProgress(List<int> seen) : IProgress<int>
    {
        public void Report(int value)
        {
            lock (seen) seen.Add(value);
        }
    }
}
