using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Tensors;

public class AutogradTests
{
    [Test]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }, 3).RequiresGrad_();
        (x * x).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new float[] { 5, 7, 9 }));
    }

    [Test]
    public void ReusedTensorSumsBranchGradients()
    {
        var x = Tensor.FromArray(new float[] { 2 }, 1).RequiresGrad_();
        var y = x * x + x.Exp() * x;
        y.Sum().Backward();
        Assert.That(x.Grad!.Data[0], Is.EqualTo(2 * 2 + MathF.Exp(2) * 3).Within(1e-4));
    }

    [Test]
    public void DetachAndNoGradStopRecording()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var d = x.Detach();
        Assert.That(d.RequiresGrad, Is.False);
        Assert.That((d * 2f).RequiresGrad, Is.False);
        using (Autograd.NoGrad())
        {
            var y = x * 2f;
            Assert.That(y.RequiresGrad, Is.False);
            Assert.That(y.GradFnName, Is.Null);
        }
        Assert.That((x * 2f).GradFnName, Is.EqualTo("mul"));
    }

    [Test]
    public void BackwardNeedsScalarOrGradient()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2f).Backward());
        Assert.That(ex!.Message, Does.Contain("scalar"));
        Assert.Throws<InvalidOperationException>(() => Tensor.Ones(1).Backward());
    }

    [Test]
    public void AnomalyModeNamesTheOpThatProducedNaN()
    {
        var x = Tensor.FromArray(new float[] { -1, 4 }, 2).RequiresGrad_();
        using var anomaly = Autograd.DetectAnomaly();
        var ex = Assert.Throws<ArithmeticException>(() => x.Sqrt());
        Assert.That(ex!.Message, Does.Contain("'sqrt'").And.Contain("NaN"));
    }

    [Test]
    public void AnomalyModeNamesTheBackwardThatProducedInf()
    {
        var x = Tensor.FromArray(new float[] { 0, 4 }, 2).RequiresGrad_();
        using var anomaly = Autograd.DetectAnomaly();
        var y = x.Sqrt(); // forward is finite; d sqrt/dx at 0 is Inf
        var ex = Assert.Throws<ArithmeticException>(() => y.Sum().Backward());
        Assert.That(ex!.Message, Does.Contain("backward of 'sqrt'"));
    }

    [Test]
    public void ScopeDisposesIntermediatesAndKeepsWhatIsKept()
    {
        var w = new Parameter(Tensor.Ones(3));
        Tensor kept, dropped;
        using (var scope = TensorScope.Begin())
        {
            dropped = w * 2f;
            kept = scope.Keep(w * 3f);
            (dropped.Sum() + kept.Sum()).Backward();
        }
        Assert.That(dropped.IsDisposed, Is.True);
        Assert.Throws<ObjectDisposedException>(() => _ = dropped.Data[0]);
        Assert.That(kept.IsDisposed, Is.False);
        Assert.That(kept.ToArray(), Is.EqualTo(new float[] { 3, 3, 3 }));
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new float[] { 5, 5, 5 }));
        Assert.That(w.IsDisposed, Is.False);
    }

    [Test]
    public void KeepHandsTheTensorToTheEnclosingScopeOnlyWhenThatIsNotSuspended()
    {
        Tensor toOuter, unowned;
        using (var outer = TensorScope.Begin())
        {
            using (var inner = TensorScope.Begin()) toOuter = inner.Keep(Tensor.Ones(3) * 2f);
            Assert.That(toOuter.IsDisposed, Is.False);
            using (TensorScope.Suspend())
            {
                using var inner = TensorScope.Begin();
                unowned = inner.Keep(Tensor.Ones(3) * 3f);
            }
        }

        Assert.That(toOuter.IsDisposed, Is.True, "the outer scope took it over");
        Assert.That(unowned.IsDisposed, Is.False, "kept under a Suspend: it belongs to no scope, as if created there");
        Assert.That(unowned.ToArray(), Is.EqualTo(new float[] { 3, 3, 3 }));
    }

    [Test]
    public void ScopeReusesPooledBuffers()
    {
        TensorPool.Trim();
        float[] first;
        using (TensorScope.Begin()) first = Tensor.Zeros(100_000).Buffer;
        using (TensorScope.Begin())
        {
            var second = Tensor.Zeros(110_000); // same size class as 100 000 (2^16 · 1.75)
            Assert.That(second.Buffer, Is.SameAs(first));
            Assert.That(second.ToArray().All(v => v == 0), Is.True);
        }
    }

    [Test]
    public void ViewsKeepStorageAliveAfterOwnerIsDisposed()
    {
        Tensor view;
        using (var scope = TensorScope.Begin())
        {
            var t = Tensor.Arange(20000);
            view = scope.Keep(t.Reshape(100, 200));
        }
        Assert.That(view[99, 199], Is.EqualTo(19999f));
    }

    [Test]
    public void WrappedArraysAreNeverPooled()
    {
        var data = new float[8192];
        var t = Tensor.Wrap(data, 8192);
        t.Dispose();
        var u = Tensor.Zeros(8192);
        Assert.That(u.Buffer, Is.Not.SameAs(data));
    }

    [Test]
    public void ZerosAreZeroEvenForFreshPooledBuffers()
    {
        // Fresh large buffers come from the uninitialised allocator; Zeros must still clear them.
        for (int i = 0; i < 50; i++)
        {
            TensorPool.Trim();
            var t = Tensor.Zeros(2, 16, 24, 24 + i);
            Assert.That(t.ToArray().All(v => v == 0f), Is.True, $"iteration {i}");
        }
    }
}
