namespace Wsss.Core.Crf;

/// <summary>
/// The number of <see cref="System.Runtime.Intrinsics.Vector256{T}"/> registers a padded label row spans, as a
/// type, so the JIT compiles the CRF's per-pixel kernels once per width with the row held in registers.
/// </summary>
internal interface ICrfVectorWidth
{
    /// <summary>Vectors per label row (1, 2 or 3).</summary>
    static abstract int Count { get; }

    /// <summary>One vector: up to 8 labels.</summary>
    public readonly struct One : ICrfVectorWidth
    {
        /// <inheritdoc/>
        public static int Count => 1;
    }

    /// <summary>Two vectors: up to 16 labels.</summary>
    public readonly struct Two : ICrfVectorWidth
    {
        /// <inheritdoc/>
        public static int Count => 2;
    }

    /// <summary>Three vectors: up to 24 labels (21 for PASCAL VOC).</summary>
    public readonly struct Three : ICrfVectorWidth
    {
        /// <inheritdoc/>
        public static int Count => 3;
    }
}
