using System.Globalization;
using System.Runtime.ExceptionServices;
using Wsss.Core.Tensors;

namespace Wsss.Core.Crf;

/// <summary>
/// The dense CRF as an <see cref="IMaskRefiner"/>: unary from the probabilities (<c>unary_from_softmax</c>),
/// a smoothness and an appearance kernel, <see cref="DenseCrfOptions.Iterations"/> mean-field iterations
/// (psa's <c>crf_inference</c> with the default options).
/// </summary>
public sealed class DenseCrfRefiner : IMaskRefiner
{
    /// <summary>Creates a refiner.</summary>
    /// <param name="options">Parameters; null uses the defaults.</param>
    public DenseCrfRefiner(DenseCrfOptions? options = null)
    {
        Options = options ?? new DenseCrfOptions();
        if (Options.Iterations < 0) CrfThrowHelper.OutOfRange(nameof(options), Options.Iterations, "Iterations must be non-negative.");
        CrfThrowHelper.CheckStdDev(Options.GaussianSxy, nameof(DenseCrfOptions.GaussianSxy));
        CrfThrowHelper.CheckStdDev(Options.BilateralSxy, nameof(DenseCrfOptions.BilateralSxy));
        CrfThrowHelper.CheckStdDev(Options.BilateralSrgb, nameof(DenseCrfOptions.BilateralSrgb));
    }

    /// <summary>The parameters.</summary>
    public DenseCrfOptions Options { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes disagree, the image is empty, or the probabilities are NaN/Inf or negative.</exception>
    public Tensor Refine(Tensor image, Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(probabilities);
        ReadOnlySpan<int> ps = probabilities.ShapeSpan, im = image.ShapeSpan;
        if (ps.Length != 3 || ps[0] < 1 || ps[1] < 1 || ps[2] < 1)
            CrfThrowHelper.Argument(nameof(probabilities), $"Expected non-empty probabilities of shape (L, H, W); got {Tensor.ShapeString(ps)}.");
        if (im.Length != 3 || im[0] < 1 || im[1] != ps[1] || im[2] != ps[2])
            CrfThrowHelper.Argument(nameof(image), $"Expected an image of shape (C, {ps[1]}, {ps[2]}) to match the probabilities {Tensor.ShapeString(ps)}; got {Tensor.ShapeString(im)}.");
        using var crf = Create(ps[2], ps[1], ps[0]);
        crf.SetUnaryFromProbabilities(probabilities, Options.Scale, Options.Clip);
        crf.AddPairwiseBilateral(Options.BilateralSxy, Options.BilateralSxy, [Options.BilateralSrgb], image, LabelCompatibility.Potts(Options.BilateralCompat), Options.Normalization);
        return crf.Inference(Options.Iterations);
    }

    /// <summary>Refines probabilities with an interleaved (H, W, C) byte image (the layout of a NumPy uint8 image).</summary>
    /// <param name="image">H·W·C bytes.</param>
    /// <param name="channels">C ≥ 1.</param>
    /// <param name="probabilities">(L, H, W) non-negative class probabilities.</param>
    /// <returns>Refined (L, H, W) probabilities.</returns>
    public Tensor Refine(ReadOnlySpan<byte> image, int channels, Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ReadOnlySpan<int> ps = probabilities.ShapeSpan;
        if (ps.Length != 3 || ps[0] < 1 || ps[1] < 1 || ps[2] < 1)
            CrfThrowHelper.Argument(nameof(probabilities), $"Expected non-empty probabilities of shape (L, H, W); got {Tensor.ShapeString(ps)}.");
        using var crf = Create(ps[2], ps[1], ps[0]);
        crf.SetUnaryFromProbabilities(probabilities, Options.Scale, Options.Clip);
        crf.AddPairwiseBilateral(Options.BilateralSxy, Options.BilateralSxy, [Options.BilateralSrgb], image, channels, LabelCompatibility.Potts(Options.BilateralCompat), Options.Normalization);
        return crf.Inference(Options.Iterations);
    }

    /// <summary>
    /// Refines many images in parallel within a memory budget and returns the results in input order (each equal to
    /// what <see cref="Refine(Tensor, Tensor)"/> returns for the item alone).
    /// </summary>
    /// <remarks>
    /// Each item's working set is estimated with <see cref="DenseCrf.EstimateWorkingSetBytes"/> from its size, label and
    /// channel counts. Items start in input order while the estimates of the items in flight, this one included, fit
    /// <paramref name="memoryBudgetBytes"/> and fewer than <paramref name="maxDegreeOfParallelism"/> run; an item whose
    /// estimate alone exceeds the budget runs by itself once nothing else is in flight (it is not refused: the budget
    /// bounds concurrency, it cannot shrink one image). Every item also uses the library's parallel loops internally.
    /// The first failing item's exception is rethrown after the items in flight finish; cancellation is checked
    /// before each item and between iterations.
    /// </remarks>
    /// <param name="items">The work items.</param>
    /// <param name="memoryBudgetBytes">Budget for the estimated working sets of the items in flight (&gt; 0).</param>
    /// <param name="maxDegreeOfParallelism">Most items in flight at once (≥ 1), or −1 for the processor count.</param>
    /// <param name="progress">Receives the number of items completed so far after each item (from worker threads).</param>
    /// <param name="cancellationToken">Cancels the items not yet finished.</param>
    /// <returns>The refined (L, H, W) probabilities of each item, in input order.</returns>
    /// <exception cref="ArgumentException">Null items, shapes that disagree, a non-positive budget or a bad degree of parallelism.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Tensor[] RefineMany(IReadOnlyList<DenseCrfWorkItem> items, long memoryBudgetBytes, int maxDegreeOfParallelism = -1,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
        => RefineManyCore(items, memoryBudgetBytes, maxDegreeOfParallelism, progress, cancellationToken, null);

    /// <summary><see cref="RefineMany(IReadOnlyList{DenseCrfWorkItem}, long, int, IProgress{int}, CancellationToken)"/> recording <paramref name="statistics"/>.</summary>
    internal Tensor[] RefineManyCore(IReadOnlyList<DenseCrfWorkItem> items, long memoryBudgetBytes, int maxDegreeOfParallelism,
        IProgress<int>? progress, CancellationToken cancellationToken, CrfBatchStatistics? statistics)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (memoryBudgetBytes <= 0) CrfThrowHelper.OutOfRange(nameof(memoryBudgetBytes), memoryBudgetBytes, "The memory budget must be positive.");
        if (maxDegreeOfParallelism == -1) maxDegreeOfParallelism = Environment.ProcessorCount;
        if (maxDegreeOfParallelism < 1) CrfThrowHelper.OutOfRange(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "The degree of parallelism must be at least 1 (or -1 for the processor count).");
        var estimates = new long[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item is null) CrfThrowHelper.Argument(nameof(items), string.Create(CultureInfo.InvariantCulture, $"Item {i} is null."));
            (int l, int h, int w) = CheckItem(item, i);
            estimates[i] = DenseCrf.EstimateWorkingSetBytes(w, h, l, item.Channels);
        }

        var results = new Tensor[items.Count];
        var gate = new object();
        long inFlightBytes = 0;
        int inFlight = 0, completed = 0;
        ExceptionDispatchInfo? failure = null;
        var tasks = new List<Task>();
        for (int i = 0; i < items.Count; i++)
        {
            lock (gate)
            {
                while (failure is null && !cancellationToken.IsCancellationRequested && inFlight > 0
                       && (inFlight >= maxDegreeOfParallelism || inFlightBytes + estimates[i] > memoryBudgetBytes))
                    Monitor.Wait(gate, 50);
                if (failure is not null || cancellationToken.IsCancellationRequested) break;
                inFlight++;
                inFlightBytes += estimates[i];
                if (statistics is not null)
                {
                    statistics.PeakConcurrency = Math.Max(statistics.PeakConcurrency, inFlight);
                    statistics.PeakEstimatedBytes = Math.Max(statistics.PeakEstimatedBytes, inFlightBytes);
                }
            }

            int index = i;
            tasks.Add(Task.Run(() =>
            {
                try
                {
                    results[index] = RefineItem(items[index], cancellationToken);
                }
                catch (Exception e)
                {
                    lock (gate) failure ??= ExceptionDispatchInfo.Capture(e);
                }
                finally
                {
                    int done;
                    lock (gate)
                    {
                        inFlight--;
                        inFlightBytes -= estimates[index];
                        done = ++completed;
                        Monitor.PulseAll(gate);
                    }

                    if (failure is null) progress?.Report(done);
                }
            }, CancellationToken.None));
        }

        Task.WaitAll([.. tasks], CancellationToken.None);
        failure?.Throw();
        cancellationToken.ThrowIfCancellationRequested();
        return results;
    }

    private static (int Labels, int Height, int Width) CheckItem(DenseCrfWorkItem item, int index)
    {
        ReadOnlySpan<int> ps = item.Probabilities.ShapeSpan;
        if (ps.Length != 3 || ps[0] < 1 || ps[1] < 1 || ps[2] < 1)
            CrfThrowHelper.Argument("items", string.Create(CultureInfo.InvariantCulture, $"Item {index}: expected non-empty probabilities of shape (L, H, W); got {Tensor.ShapeString(ps)}."));
        if (item.Image is { } image)
        {
            ReadOnlySpan<int> im = image.ShapeSpan;
            if (im.Length != 3 || im[0] < 1 || im[1] != ps[1] || im[2] != ps[2])
                CrfThrowHelper.Argument("items", string.Create(CultureInfo.InvariantCulture, $"Item {index}: expected an image of shape (C, {ps[1]}, {ps[2]}); got {Tensor.ShapeString(im)}."));
        }
        else if (item.Channels < 1 || item.ImageBytes.Length != (long)ps[1] * ps[2] * item.Channels)
        {
            CrfThrowHelper.Argument("items", string.Create(CultureInfo.InvariantCulture, $"Item {index}: expected a ({ps[1]}, {ps[2]}, C) byte image with C ≥ 1; got {item.ImageBytes.Length} bytes for C = {item.Channels}."));
        }

        return (ps[0], ps[1], ps[2]);
    }

    private Tensor RefineItem(DenseCrfWorkItem item, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ReadOnlySpan<int> ps = item.Probabilities.ShapeSpan;
        using var crf = Create(ps[2], ps[1], ps[0]);
        crf.SetUnaryFromProbabilities(item.Probabilities, Options.Scale, Options.Clip);
        var compat = LabelCompatibility.Potts(Options.BilateralCompat);
        if (item.Image is { } image)
            crf.AddPairwiseBilateral(Options.BilateralSxy, Options.BilateralSxy, [Options.BilateralSrgb], image, compat, Options.Normalization);
        else
            crf.AddPairwiseBilateral(Options.BilateralSxy, Options.BilateralSxy, [Options.BilateralSrgb], item.ImageBytes.Span, item.Channels, compat, Options.Normalization);
        return crf.InferenceCore(Options.Iterations, cancellationToken);
    }

    private DenseCrf Create(int width, int height, int labels)
    {
        var crf = new DenseCrf(width, height, labels);
        crf.AddPairwiseGaussian(Options.GaussianSxy, Options.GaussianSxy, LabelCompatibility.Potts(Options.GaussianCompat), Options.Normalization);
        return crf;
    }
}
