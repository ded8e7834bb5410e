using Wsss.Core.Imaging;
using Wsss.Core.Tensors;

namespace Wsss.Core.Data;

/// <summary>
/// Batches a weakly labelled set: shuffles per epoch (seeded), decodes and augments the items of a batch in parallel, and
/// stacks them. The transform must return images of one size (e.g. ending in <see cref="Augmentation.RandomCrop"/>); its
/// generator is derived from (seed, epoch, index), so batches are reproducible whatever the thread count.
/// </summary>
public sealed class WeakBatchLoader
{
    private readonly IWeakDataset _dataset;
    private readonly Func<ImageBuffer, LabelMap?, Generator, (ImageBuffer Image, LabelMap? Labels)> _transform;

    /// <summary>Creates the loader.</summary>
    public WeakBatchLoader(IWeakDataset dataset, int batchSize, Func<ImageBuffer, LabelMap?, Generator, (ImageBuffer Image, LabelMap? Labels)> transform,
        bool shuffle = true, ulong seed = 0, bool withLabels = false, bool dropLast = true)
    {
        _dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        _transform = transform ?? throw new ArgumentNullException(nameof(transform));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive");
        if (dataset.Count == 0) throw new ArgumentException("the dataset is empty", nameof(dataset));
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        WithLabels = withLabels;
        DropLast = dropLast;
    }

    /// <summary>Items per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch is shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>Seed of the shuffles and augmentations.</summary>
    public ulong Seed { get; }

    /// <summary>Whether ground-truth maps are loaded too.</summary>
    public bool WithLabels { get; }

    /// <summary>Whether a final incomplete batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => DropLast ? _dataset.Count / BatchSize : (_dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>The batches of epoch <paramref name="epoch"/>, in order.</summary>
    public IEnumerable<WeakBatch> Epoch(int epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "must be non-negative");
        var order = Enumerable.Range(0, _dataset.Count).ToArray();
        if (Shuffle)
        {
            var g = new Generator(Seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1)));
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = g.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        for (int b = 0; b < BatchesPerEpoch; b++)
        {
            var idx = order.Skip(b * BatchSize).Take(BatchSize).ToArray();
            yield return Load(idx, epoch);
        }
    }

    private WeakBatch Load(int[] idx, int epoch)
    {
        var items = new (ImageBuffer Image, LabelMap? Labels, IReadOnlyList<int> Tags)[idx.Length];
        try
        {
            Parallel.For(0, idx.Length, k =>
            {
                int i = idx[k];
                var g = new Generator(Seed * 0xD1B54A32D192ED03UL + (ulong)epoch * 1_000_003UL + (ulong)i);
                var (img, lab) = _transform(_dataset.LoadImage(i), WithLabels ? _dataset.LoadLabels(i) : null, g);
                items[k] = (img, lab, _dataset.Tags(i));
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Surface the first failure itself (e.g. the decoder's InvalidDataException naming the file).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
        int w = items[0].Image.Width, h = items[0].Image.Height;
        foreach (var it in items)
            if (it.Image.Width != w || it.Image.Height != h)
                throw new InvalidOperationException($"the transform returned images of different sizes ({w}x{h} and {it.Image.Width}x{it.Image.Height}); end it with a fixed-size crop");
        int classes = _dataset.ClassNames.Count - 1;
        var images = Tensor.Stack(items.Select(it => it.Image.ToRgb().ToNormalizedTensor(ImageBuffer.ImageNetMean, ImageBuffer.ImageNetStd)).ToArray());
        var tags = Tensor.Zeros(idx.Length, Math.Max(classes, 1));
        for (int k = 0; k < idx.Length; k++)
            foreach (int c in items[k].Tags)
                if (c >= 1 && c <= classes) tags[k, c - 1] = 1;
        Tensor? labels = null;
        if (WithLabels && items.All(it => it.Labels is not null))
            labels = Tensor.Stack(items.Select(it => it.Labels!.ToTensor()).ToArray());
        return new WeakBatch(idx, images, tags, labels);
    }
}
