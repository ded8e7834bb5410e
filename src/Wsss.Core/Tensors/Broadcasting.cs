namespace Wsss.Core.Tensors;

/// <summary>NumPy/PyTorch broadcasting: result shapes and a driver that runs an operator over the innermost contiguous runs.</summary>
internal static class Broadcasting
{
    public static int[] Shape(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int r = Math.Max(a.Length, b.Length);
        var s = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Tensor.ShapeString(a)} and {Tensor.ShapeString(b)} cannot be broadcast together (dimension {i}: {da} vs {db})", "other");
            s[i] = da == 1 ? db : da;
        }
        return s;
    }

    /// <summary>Strides of <paramref name="shape"/> aligned to <paramref name="outShape"/>, zero along broadcast dimensions.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape, ReadOnlySpan<int> outShape)
    {
        int r = outShape.Length;
        var st = new int[r];
        int stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            int o = i + (r - shape.Length);
            st[o] = shape[i] == 1 && outShape[o] != 1 ? 0 : stride;
            stride *= shape[i];
        }
        return st;
    }

    public static void Run<TOp>(Tensor a, Tensor b, Tensor dst) where TOp : IBinaryOp
    {
        var outShape = dst.ShapeSpan;
        var av = a.Buffer;
        var bv = b.Buffer;
        var dv = dst.Buffer;
        int n = dst.Numel;
        if (a.Numel == n && b.Numel == n && a.ShapeSpan.SequenceEqual(b.ShapeSpan))
        {
            Parallelism.ForChunks(n, (s, len) => TOp.Invoke(av.AsSpan(s, len), bv.AsSpan(s, len), dv.AsSpan(s, len)));
            return;
        }
        if (b.Numel == 1 && a.Numel == n)
        {
            float bs = bv[0];
            Parallelism.ForChunks(n, (s, len) => TOp.Invoke(av.AsSpan(s, len), bs, dv.AsSpan(s, len)));
            return;
        }
        if (a.Numel == 1 && b.Numel == n)
        {
            float as_ = av[0];
            Parallelism.ForChunks(n, (s, len) => TOp.Invoke(as_, bv.AsSpan(s, len), dv.AsSpan(s, len)));
            return;
        }
        if (n == 0) return;

        int r = outShape.Length;
        var sa = Strides(a.ShapeSpan, outShape);
        var sb = Strides(b.ShapeSpan, outShape);
        // Longest suffix along which each operand is either fully contiguous or fully broadcast.
        int k = r;
        int modeA = -1, modeB = -1; // 0 broadcast, 1 contiguous
        int inner = 1;
        for (int d = r - 1; d >= 0; d--)
        {
            if (outShape[d] == 1) { k = d; continue; }
            int ma = sa[d] == 0 ? 0 : 1, mb = sb[d] == 0 ? 0 : 1;
            if (modeA == -1) { modeA = ma; modeB = mb; }
            else if (ma != modeA || mb != modeB) break;
            k = d;
            inner *= outShape[d];
        }
        if (modeA == -1) { modeA = 1; modeB = 1; }
        int outer = n / inner;
        var shape = outShape.ToArray();
        int fa = modeA, fb = modeB, kk = k;

        void Row(int o)
        {
            // Offsets of row o (over dims [0, k)) in a and b.
            int rem = o, offA = 0, offB = 0;
            for (int d = kk - 1; d >= 0; d--)
            {
                int idx = rem % shape[d];
                rem /= shape[d];
                offA += idx * sa[d];
                offB += idx * sb[d];
            }
            var dsp = dv.AsSpan(o * inner, inner);
            if (fa == 1 && fb == 1) TOp.Invoke(av.AsSpan(offA, inner), bv.AsSpan(offB, inner), dsp);
            else if (fa == 1) TOp.Invoke(av.AsSpan(offA, inner), bv[offB], dsp);
            else if (fb == 1) TOp.Invoke(av[offA], bv.AsSpan(offB, inner), dsp);
            else dsp.Fill(TOp.Invoke(av[offA], bv[offB]));
        }

        Parallelism.For(outer, inner, Row);
    }
}
