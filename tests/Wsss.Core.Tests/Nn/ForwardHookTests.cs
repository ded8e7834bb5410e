using Wsss.Core.Models;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Nn;

public class ForwardHookTests
{
    [Test]
    public void HooksSeeAndMayReplaceOutputsOfNestedLayersUntilRemoved()
    {
        var net = ResNet.ResNet18(new ResNetOptions { NumClasses = 4 }, new Generator(1));
        net.Eval();
        var x = TestUtil.Rand(2, 1, 3, 32, 32);
        using var noGrad = Autograd.NoGrad();
        var plain = net.Call(x).ToArray();
        var seen = new List<int[]>();
        var observe = net.Layer(3).RegisterForwardHook((m, input, output) =>
        {
            seen.Add(output.Shape);
            return output;
        });
        Assert.That(net.Call(x).ToArray(), Is.EqualTo(plain), "an observing hook changes nothing");
        Assert.That(seen, Has.Count.EqualTo(1));
        Assert.That(seen[0], Is.EqualTo(new[] { 1, 256, 2, 2 }));
        var block = (ResNetBlock)net.Layer(4)[1];
        using (block.RegisterForwardHook((m, input, output) => Tensor.ZerosLike(output)))
        {
            var logits = net.Call(x).ToArray();
            var bias = net.StateDict()["fc.bias"].ToArray();
            Assert.That(logits, Is.EqualTo(bias), "zeroing the last block's output leaves only the fc bias");
        }
        observe.Dispose();
        observe.Dispose();
        Assert.That(net.Call(x).ToArray(), Is.EqualTo(plain));
        Assert.That(seen, Has.Count.EqualTo(2), "removed hooks no longer run");
        Assert.Throws<ArgumentNullException>(() => net.RegisterForwardHook(null!));
    }

    [Test]
    public void EachRegistrationIsRemovedOnItsOwn()
    {
        var layer = new ReLU();
        int calls = 0;
        ForwardHook<Tensor, Tensor> count = (m, i, o) =>
        {
            calls++;
            return o;
        };
        var first = layer.RegisterForwardHook(count);
        using var second = layer.RegisterForwardHook(count); // the same delegate object twice, as PyTorch allows
        layer.Call(Tensor.Zeros(2));
        Assert.That(calls, Is.EqualTo(2));
        first.Dispose();
        layer.Call(Tensor.Zeros(2));
        Assert.That(calls, Is.EqualTo(3), "disposing one handle leaves the other registration");
    }
}
