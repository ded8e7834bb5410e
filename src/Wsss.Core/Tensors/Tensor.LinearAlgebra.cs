using Wsss.Core.Tensors.Kernels;

namespace Wsss.Core.Tensors;

public partial class Tensor
{
    /// <summary>Matrix product with torch.matmul's rules: vectors, matrices and broadcast batches.</summary>
    public static Tensor Matmul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank == 0 || b.Rank == 0) ThrowHelper.Argument(a.Rank == 0 ? nameof(a) : nameof(b), "matmul needs tensors of rank at least 1");
        bool aVec = a.Rank == 1, bVec = b.Rank == 1;
        var A = aVec ? a.Unsqueeze(0) : a;
        var B = bVec ? b.Unsqueeze(1) : b;
        var y = MatmulNd(A, B);
        if (aVec) y = y.Squeeze(-2);
        if (bVec) y = y.Squeeze(-1);
        return y;
    }

    private static Tensor MatmulNd(Tensor a, Tensor b)
    {
        int m = a._shape[^2], k = a._shape[^1], k2 = b._shape[^2], n = b._shape[^1];
        if (k != k2) ThrowHelper.Argument(nameof(b), $"matmul: inner dimensions differ, {ShapeString(a._shape)} @ {ShapeString(b._shape)}");
        var batchA = a._shape[..^2];
        var batchB = b._shape[..^2];
        var batch = Broadcasting.Shape(batchA, batchB, "matmul");
        int nb = CheckedNumel(batch, "batch");
        var outShape = batch.Concat(new[] { m, n }).ToArray();
        var y = Allocate(outShape, false);

        var ae = a.BroadcastToNoGrad(batch.Concat(new[] { m, k }).ToArray(), nameof(a));
        // A single right-hand matrix: fold the batch into the rows of one GEMM.
        bool bShared = CheckedNumel(batchB, "batch") == 1;
        var be = bShared ? b : b.BroadcastToNoGrad(batch.Concat(new[] { k, n }).ToArray(), nameof(b));
        if (bShared) GemmBatched(false, false, 1, nb * m, n, k, ae.Buffer, 0, be.Buffer, 0, y.Buffer);
        else GemmBatched(false, false, nb, m, n, k, ae.Buffer, m * k, be.Buffer, k * n, y.Buffer);

        if (!Autograd.ShouldRecord(a, b)) return Autograd.Check("matmul", y);
        var aShape = a.Shape; var bShape = b.Shape;
        return Autograd.Record("matmul", y, new[] { a, b }, g =>
        {
            Tensor? ga = null, gb = null;
            if (a.RequiresGrad)
            {
                // gA = gY · Bᵀ
                var full = Allocate(batch.Concat(new[] { m, k }).ToArray(), false);
                if (bShared) GemmBatched(false, true, 1, nb * m, k, n, g.Buffer, 0, be.Buffer, 0, full.Buffer);
                else GemmBatched(false, true, nb, m, k, n, g.Buffer, m * n, be.Buffer, k * n, full.Buffer);
                ga = full.SumToShape(aShape);
            }
            if (b.RequiresGrad)
            {
                // gB = Aᵀ · gY
                if (bShared)
                {
                    var full = Allocate(new[] { k, n }, false);
                    GemmBatched(true, false, 1, k, n, nb * m, ae.Buffer, 0, g.Buffer, 0, full.Buffer);
                    gb = full.ReshapeNoGrad(bShape);
                }
                else
                {
                    var full = Allocate(batch.Concat(new[] { k, n }).ToArray(), false);
                    GemmBatched(true, false, nb, k, n, m, ae.Buffer, m * k, g.Buffer, m * n, full.Buffer);
                    gb = full.SumToShape(bShape);
                }
            }
            return new[] { ga, gb };
        });
    }

    /// <summary>C_i = op(A_i)·op(B_i) for i &lt; batch, packed matrices with the given batch strides; C is packed m×n.</summary>
    internal static unsafe void GemmBatched(bool transA, bool transB, int batch, int m, int n, int k,
        float[] a, int strideA, float[] b, int strideB, float[] c)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        long work = (long)m * n * k;
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
        {
            nint na = (nint)pa, nb = (nint)pb, nc = (nint)pc;
            if (batch == 1 || work >= 1 << 18 || Parallelism.MaxDegreeOfParallelism == 1)
            {
                for (int i = 0; i < batch; i++)
                    Gemm.Sgemm(transA, transB, m, n, k, 1f, pa + (long)i * strideA, lda, pb + (long)i * strideB, ldb, 0f, pc + (long)i * m * n, n, Parallelism.MaxDegreeOfParallelism);
            }
            else
            {
                Parallel.For(0, batch, Parallelism.Options, i =>
                    Gemm.Sgemm(transA, transB, m, n, k, 1f, (float*)na + (long)i * strideA, lda, (float*)nb + (long)i * strideB, ldb, 0f, (float*)nc + (long)i * m * n, n, 1));
            }
        }
    }

    /// <summary>y = x·Wᵀ + b over the last dimension of <paramref name="input"/> (torch.nn.functional.linear).</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) ThrowHelper.Argument(nameof(weight), $"linear weight must be (out, in), got {ShapeString(weight._shape)}");
        if (input.Rank == 0 || input._shape[^1] != weight._shape[1])
            ThrowHelper.Argument(nameof(input), $"linear: input {ShapeString(input._shape)} does not end in {weight._shape[1]} features of weight {ShapeString(weight._shape)}");
        int outF = weight._shape[0], inF = weight._shape[1];
        if (bias is not null && (bias.Rank != 1 || bias._shape[0] != outF))
            ThrowHelper.Argument(nameof(bias), $"linear bias must be ({outF},), got {ShapeString(bias._shape)}");
        int rows = input.Numel / Math.Max(inF, 1);
        if (inF == 0) rows = input.Numel == 0 ? CheckedNumel(input._shape[..^1], nameof(input)) : 0;
        var outShape = input.Shape;
        outShape[^1] = outF;
        var y = Allocate(outShape, false);
        GemmBatched(false, true, 1, rows, outF, inF, input.Buffer, 0, weight.Buffer, 0, y.Buffer);
        if (bias is not null)
        {
            var yb = y.Buffer; var bb = bias.Buffer;
            Parallelism.For(rows, outF, r =>
            {
                var row = yb.AsSpan(r * outF, outF);
                System.Numerics.Tensors.TensorPrimitives.Add(row, bb.AsSpan(0, outF), row);
            });
        }
        var inputs = bias is null ? new[] { input, weight } : new[] { input, weight, bias };
        if (!Autograd.ShouldRecord(inputs)) return Autograd.Check("linear", y);
        var inShape = input.Shape;
        return Autograd.Record("linear", y, inputs, g =>
        {
            Tensor? gx = null, gw = null, gb = null;
            if (input.RequiresGrad)
            {
                gx = Allocate(inShape, false);
                GemmBatched(false, false, 1, rows, inF, outF, g.Buffer, 0, weight.Buffer, 0, gx.Buffer);
            }
            if (weight.RequiresGrad)
            {
                gw = Allocate(new[] { outF, inF }, false);
                GemmBatched(true, false, 1, outF, inF, rows, g.Buffer, 0, input.Buffer, 0, gw.Buffer);
            }
            if (bias is not null && bias.RequiresGrad)
            {
                gb = g.ReshapeNoGrad(new[] { rows, outF }).SumNoGrad(new[] { 0 }, keepDim: false);
            }
            return bias is null ? new[] { gx, gw } : new[] { gx, gw, gb };
        });
    }
}
