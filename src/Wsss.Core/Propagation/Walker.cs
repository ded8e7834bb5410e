using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Wsss.Core.Tensors;

namespace Wsss.Core.Propagation;

/// <summary>
/// The inner loop of <see cref="RandomWalkPropagator"/>: y' = (A·y) ⊘ d on the padded stencil planes,
/// ping-ponging between two halves of one buffer.
/// </summary>
internal sealed unsafe class Walker
{
    private const int Tile = 1024; // positions per tile: the tile's weights (directions × 4 KiB) stay in L2

    private readonly AffinityGraph _g;
    private readonly float[] _buffer;
    private readonly int _channels, _start, _length, _workers;

    public Walker(AffinityGraph graph, float[] buffer, int channels, int start, int length, int workers)
    {
        _g = graph;
        _buffer = buffer;
        _channels = channels;
        _start = start;
        _length = length;
        _workers = workers;
    }

    /// <summary>
    /// Runs the steps. With several workers, each step is cut into one part per worker and the parts are handed out
    /// as tickets in step order; a ticket of step s starts once every part of step s − 1 is done. A thread only ever
    /// waits for parts that running threads hold, so there is no deadlock even when the pool starts a worker late
    /// (the caller then takes every ticket itself), and no per-step task scheduling.
    /// </summary>
    public void Run(int steps)
    {
        if (_workers == 1)
        {
            for (int step = 0; step < steps; step++) RunPart(step, 0, 1);
            return;
        }
        int next = 0, done = 0, parts = _workers, total = steps * parts;
        void Loop()
        {
            while (true)
            {
                int ticket = Interlocked.Increment(ref next) - 1;
                if (ticket >= total) return;
                int step = ticket / parts;
                var spin = new SpinWait();
                while (Volatile.Read(ref done) < step * parts) spin.SpinOnce(sleep1Threshold: -1);
                RunPart(step, ticket - step * parts, parts);
                Interlocked.Increment(ref done);
            }
        }
        Parallel.For(0, _workers, Parallelism.Options, _ => Loop());
    }

    private void RunPart(int step, int part, int parts)
    {
        int src = (step & 1) == 0 ? 0 : _channels * _g.Stride;
        int dst = _channels * _g.Stride - src;
        int a = (int)((long)_length * part / parts), b = (int)((long)_length * (part + 1) / parts);
        RunRange(src, dst, _start + a, b - a);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunRange(int src, int dst, int start, int length)
    {
        int stride = _g.Stride;
        fixed (float* buf = _buffer)
        fixed (float* w = _g.Weights)
        fixed (float* inv = _g.InverseDegree)
        fixed (int* off = _g.Offsets)
        {
            for (int t = 0; t < length; t += Tile)
            {
                int s = start + t, len = Math.Min(Tile, length - t);
                int c = 0;
                for (; c + 4 <= _channels; c += 4) Step<Four>(buf + src + c * stride, buf + dst + c * stride, w, inv, off, s, len);
                switch (_channels - c)
                {
                    case 3: Step<Three>(buf + src + c * stride, buf + dst + c * stride, w, inv, off, s, len); break;
                    case 2: Step<Two>(buf + src + c * stride, buf + dst + c * stride, w, inv, off, s, len); break;
                    case 1: Step<One>(buf + src + c * stride, buf + dst + c * stride, w, inv, off, s, len); break;
                }
            }
        }
    }

    private interface IChannels { static abstract int Count { get; } }
    private struct One : IChannels { public static int Count => 1; }
    private struct Two : IChannels { public static int Count => 2; }
    private struct Three : IChannels { public static int Count => 3; }
    private struct Four : IChannels { public static int Count => 4; }

    /// <summary>y'[p] = y[p] + inv[p]·Σ_k (w_k[p]·(y[p + o_k] − y[p]) + w_k[p − o_k]·(y[p − o_k] − y[p])) for p in [start, start + length), TC channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Step<TC>(float* y, float* yOut, float* w, float* inv, int* off, int start, int length) where TC : struct, IChannels
    {
        int stride = _g.Stride, dirs = _g.Offsets.Length;
        float* y0 = y, y1 = y + stride, y2 = y + 2 * stride, y3 = y + 3 * stride;
        float* o0 = yOut, o1 = yOut + stride, o2 = yOut + 2 * stride, o3 = yOut + 3 * stride;
        int end = start + length;
        int p = start;
        if (Vector256.IsHardwareAccelerated && length >= Vector256<float>.Count)
        {
            int last = end - Vector256<float>.Count;
            while (true)
            {
                if (p > last) p = last; // overlap the final vector instead of a scalar tail
                // y'[p] = y[p] + inv[p]·Σ A(p, q)(y[q] − y[p]): equal to (A·y)[p]/d[p] since d[p] = 1 + Σ A(p, q), but
                // constants are kept exactly, so rounding does not accumulate along the walk's stationary direction.
                Vector256<float> c0 = Vector256.Load(y0 + p), c1 = default, c2 = default, c3 = default;
                if (TC.Count > 1) c1 = Vector256.Load(y1 + p);
                if (TC.Count > 2) c2 = Vector256.Load(y2 + p);
                if (TC.Count > 3) c3 = Vector256.Load(y3 + p);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* wk = w + p;
                for (int k = 0; k < dirs; k++, wk += stride)
                {
                    int o = off[k];
                    var wf = Vector256.Load(wk);
                    var wb = Vector256.Load(wk - o);
                    int pf = p + o, pb = p - o;
                    a0 = Vector256.FusedMultiplyAdd(wf, Vector256.Load(y0 + pf) - c0, a0);
                    a0 = Vector256.FusedMultiplyAdd(wb, Vector256.Load(y0 + pb) - c0, a0);
                    if (TC.Count > 1)
                    {
                        a1 = Vector256.FusedMultiplyAdd(wf, Vector256.Load(y1 + pf) - c1, a1);
                        a1 = Vector256.FusedMultiplyAdd(wb, Vector256.Load(y1 + pb) - c1, a1);
                    }
                    if (TC.Count > 2)
                    {
                        a2 = Vector256.FusedMultiplyAdd(wf, Vector256.Load(y2 + pf) - c2, a2);
                        a2 = Vector256.FusedMultiplyAdd(wb, Vector256.Load(y2 + pb) - c2, a2);
                    }
                    if (TC.Count > 3)
                    {
                        a3 = Vector256.FusedMultiplyAdd(wf, Vector256.Load(y3 + pf) - c3, a3);
                        a3 = Vector256.FusedMultiplyAdd(wb, Vector256.Load(y3 + pb) - c3, a3);
                    }
                }
                var d = Vector256.Load(inv + p);
                Vector256.FusedMultiplyAdd(a0, d, c0).Store(o0 + p);
                if (TC.Count > 1) Vector256.FusedMultiplyAdd(a1, d, c1).Store(o1 + p);
                if (TC.Count > 2) Vector256.FusedMultiplyAdd(a2, d, c2).Store(o2 + p);
                if (TC.Count > 3) Vector256.FusedMultiplyAdd(a3, d, c3).Store(o3 + p);
                if (p == last) return;
                p += Vector256<float>.Count;
            }
        }
        for (; p < end; p++)
        {
            for (int c = 0; c < TC.Count; c++)
            {
                float* yc = y + c * stride;
                float centre = yc[p], acc = 0f;
                float* wk = w + p;
                for (int k = 0; k < dirs; k++, wk += stride)
                {
                    int o = off[k];
                    acc = MathF.FusedMultiplyAdd(wk[0], yc[p + o] - centre, acc);
                    acc = MathF.FusedMultiplyAdd(wk[-o], yc[p - o] - centre, acc);
                }
                yOut[c * stride + p] = MathF.FusedMultiplyAdd(acc, inv[p], centre);
            }
        }
    }
}
