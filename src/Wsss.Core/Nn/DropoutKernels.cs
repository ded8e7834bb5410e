using System.Numerics.Tensors;
using Wsss.Core.Tensors;
using Tensor = Wsss.Core.Tensors.Tensor;

namespace Wsss.Core.Nn;

/// <summary>Mask generation and application behind <see cref="Functional.Dropout"/> and <see cref="Functional.Dropout2d"/>.</summary>
internal static class DropoutKernels
{
    internal static void CheckDropoutP(float p)
    {
        if (!(p >= 0f && p <= 1f))
            ThrowHelper.Argument(nameof(p), $"dropout probability has to be in [0, 1], got {p}");
    }

    /// <summary>
    /// Fills <paramref name="mask"/>[0, n) with 1/(1 − p) with probability 1 − p and 0 otherwise. One 64-bit seed per
    /// block of <see cref="Parallelism.ChunkSize"/> elements is drawn from <paramref name="generator"/> in order; each
    /// block then runs its own xoshiro256** stream (two 24-bit uniforms per 64 bits), in parallel. The result
    /// depends only on the generator's state and n, not on the number of threads.
    /// </summary>
    internal static void FillDropoutMask(float[] mask, int n, float p, Generator generator)
    {
        float scale = 1f / (1f - p);
        ulong threshold = (ulong)Math.Ceiling((1.0 - p) * (1 << 24)); // keep iff the 24-bit uniform is below
        int blocks = (n + Parallelism.ChunkSize - 1) / Parallelism.ChunkSize;
        var seeds = new ulong[blocks];
        for (int b = 0; b < blocks; b++) seeds[b] = generator.NextUInt64();
        Parallelism.For(blocks, Parallelism.ChunkSize, b =>
        {
            var rng = new Xoshiro256(seeds[b]);
            int i = b * Parallelism.ChunkSize, end = Math.Min(n, i + Parallelism.ChunkSize);
            for (; i + 1 < end; i += 2)
            {
                ulong bits = rng.Next();
                mask[i] = (bits >> 40) < threshold ? scale : 0f;
                mask[i + 1] = ((bits >> 8) & 0xFFFFFF) < threshold ? scale : 0f;
            }
            if (i < end) mask[i] = (rng.Next() >> 40) < threshold ? scale : 0f;
        });
    }

    internal static Tensor ApplyDropoutMask(Tensor x, Tensor mask, string op)
    {
        var y = Tensor.Zip(x, mask, TensorPrimitives.Multiply);
        if (!Autograd.ShouldRecord(x))
        {
            mask.Dispose();
            return Autograd.Check(op, y);
        }
        return Autograd.Record(op, y, new[] { x }, g => new Tensor?[] { Tensor.Zip(g, mask, TensorPrimitives.Multiply) });
    }
}
