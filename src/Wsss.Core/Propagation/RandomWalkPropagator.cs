using Wsss.Core.Tensors;

namespace Wsss.Core.Propagation;

/// <summary>
/// The random walk x ↦ x·T^t with T = A·D⁻¹ and t = 2^expTimes, applied as t sparse products on the stencil of an
/// <see cref="AffinityGraph"/>, never forming an N×N matrix.
/// </summary>
/// <remarks>
/// <para>IRNet (<c>propagate_to_edge</c>) and AffinityNet (<c>infer_aff.py</c>) square a dense T expTimes times and
/// multiply once; since A is symmetric, x·T = (A·x) ⊘ d, so t sparse steps give the same numbers (float32 rounding
/// differs by ~1e-5 from the reference's repeated squaring). Cost per step: (2·directions + 1) multiply-adds per
/// pixel and channel; memory: two padded planes per channel.</para>
/// <para>Each step runs over the real rows of the padded planes with Vector256 FMAs (channels in blocks of up to
/// four share each weight load), split into contiguous ranges over the cores; buffers are allocated once per call.</para>
/// </remarks>
public sealed class RandomWalkPropagator : ILabelPropagator
{
    /// <summary>Largest accepted expTimes (t = 65 536 steps).</summary>
    public const int MaxExpTimes = 16;

    /// <summary>Creates a propagator applying T^(2^<paramref name="expTimes"/>).</summary>
    /// <param name="expTimes">Number of squarings in the reference (8 in IRNet and AffinityNet), in [0, <see cref="MaxExpTimes"/>].</param>
    /// <exception cref="ArgumentOutOfRangeException">expTimes is outside [0, 16].</exception>
    public RandomWalkPropagator(int expTimes = 8)
    {
        CheckExpTimes(expTimes);
        ExpTimes = expTimes;
    }

    /// <summary>The walk length is 2^ExpTimes.</summary>
    public int ExpTimes { get; }

    /// <inheritdoc />
    public Tensor Propagate(Tensor scores, AffinityGraph graph)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(graph);
        var s = scores.ShapeSpan;
        if (s.Length < 2 || s[^2] != graph.Height || s[^1] != graph.Width)
            ThrowHelper.Argument(nameof(scores), $"expected scores of shape (..., {graph.Height}, {graph.Width}), got {Tensor.ShapeString(s)}");
        var output = Tensor.Zeros(scores.Shape);
        Propagate(graph, scores.Data, output.Data, ExpTimes);
        return output;
    }

    /// <summary>Applies T^(2^<paramref name="expTimes"/>) to every h×w plane of <paramref name="input"/> (row vectors x·T^t).</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="input">C planes of h·w values, row-major; finite.</param>
    /// <param name="output">Receives the C propagated planes; same length as the input (may not overlap it).</param>
    /// <param name="expTimes">Number of squarings, in [0, <see cref="MaxExpTimes"/>].</param>
    /// <exception cref="ArgumentException">The lengths are not a multiple of h·w or differ, or expTimes is out of range.</exception>
    public static void Propagate(AffinityGraph graph, ReadOnlySpan<float> input, Span<float> output, int expTimes)
    {
        ArgumentNullException.ThrowIfNull(graph);
        CheckExpTimes(expTimes);
        int n = graph.NodeCount;
        if (input.Length % n != 0)
            ThrowHelper.Argument(nameof(input), $"expected whole {graph.Height}×{graph.Width} planes, got {input.Length} values");
        if (output.Length != input.Length)
            ThrowHelper.Argument(nameof(output), $"expected {input.Length} values, got {output.Length}");
        int channels = input.Length / n;
        if (channels == 0) return;
        int stride = graph.Stride;
        var buffer = GC.AllocateUninitializedArray<float>(2 * channels * stride);
        Array.Clear(buffer);
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < graph.Height; y++)
                input.Slice(c * n + y * graph.Width, graph.Width).CopyTo(buffer.AsSpan(c * stride + graph.Index(y, 0), graph.Width));

        int steps = 1 << expTimes;
        var (start, length) = graph.ActiveRange;
        int workers = Math.Min(Parallelism.MaxDegreeOfParallelism, Math.Max(1, length / 2048));
        var walker = new Walker(graph, buffer, channels, start, length, workers);
        walker.Run(steps);

        int from = (steps & 1) == 0 ? 0 : channels * stride;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < graph.Height; y++)
                buffer.AsSpan(from + c * stride + graph.Index(y, 0), graph.Width).CopyTo(output.Slice(c * n + y * graph.Width, graph.Width));
    }

    internal static void CheckExpTimes(int expTimes)
    {
        if ((uint)expTimes > MaxExpTimes)
            ThrowHelper.ArgumentOutOfRange(nameof(expTimes), expTimes, $"expected expTimes in [0, {MaxExpTimes}]");
    }
}
