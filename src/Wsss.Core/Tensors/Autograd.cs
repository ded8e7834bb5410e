namespace Wsss.Core.Tensors;

/// <summary>Reverse-mode automatic differentiation: grad mode, anomaly detection and the backward pass.</summary>
/// <remarks>torch.autograd: <c>no_grad()</c>, <c>detect_anomaly()</c>.</remarks>
public static class Autograd
{
    [ThreadStatic] private static int _noGradDepth;
    [ThreadStatic] private static int _anomalyDepth;

    /// <summary>True unless inside a <see cref="NoGrad"/> scope on this thread.</summary>
    public static bool IsGradEnabled => _noGradDepth == 0;

    /// <summary>True inside a <see cref="DetectAnomaly"/> scope on this thread.</summary>
    public static bool IsAnomalyEnabled => _anomalyDepth > 0;

    /// <summary>Operations inside the returned scope are not recorded.</summary>
    public static IDisposable NoGrad() => new DepthScope(ref _noGradDepth, static () => _noGradDepth--);

    /// <summary>Inside the returned scope every operation and every backward step checks its result and throws naming the operation that first produced NaN or Inf.</summary>
    public static IDisposable DetectAnomaly() => new DepthScope(ref _anomalyDepth, static () => _anomalyDepth--);

    private sealed class DepthScope : IDisposable
    {
        private Action? _exit;

        public DepthScope(ref int depth, Action exit)
        {
            depth++;
            _exit = exit;
        }

        public void Dispose()
        {
            _exit?.Invoke();
            _exit = null;
        }
    }

    internal static bool ShouldRecord(Tensor a) => _noGradDepth == 0 && a.RequiresGrad;

    internal static bool ShouldRecord(Tensor a, Tensor b) => _noGradDepth == 0 && (a.RequiresGrad || b.RequiresGrad);

    internal static bool ShouldRecord(ReadOnlySpan<Tensor?> inputs)
    {
        if (_noGradDepth != 0) return false;
        foreach (var t in inputs) if (t is not null && t.RequiresGrad) return true;
        return false;
    }

    /// <summary>Attaches a backward function to <paramref name="output"/> when any input requires grad; checks for anomalies.</summary>
    internal static Tensor Record(string op, Tensor output, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (_anomalyDepth > 0) CheckFinite(output, op, "forward");
        if (_noGradDepth != 0) return output;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return output;
        output.GradFn = new GradNode(op, inputs, backward);
        output.RequiresGradInternal();
        return output;
    }

    /// <summary>Anomaly check for operations that record nothing (no differentiable inputs).</summary>
    internal static Tensor Check(string op, Tensor output)
    {
        if (_anomalyDepth > 0) CheckFinite(output, op, "forward");
        return output;
    }

    private static void CheckFinite(Tensor t, string op, string pass)
    {
        var d = t.Data;
        for (int i = 0; i < d.Length; i++)
        {
            if (!float.IsFinite(d[i]))
                throw new ArithmeticException($"Anomaly: the {pass} of '{op}' produced {(float.IsNaN(d[i]) ? "NaN" : "Inf")} at flat index {i} of a tensor of shape {Tensor.ShapeString(t.ShapeSpan)}");
        }
    }

    internal static void Backward(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGrad)
            ThrowHelper.InvalidOperation("Backward() called on a tensor that does not require grad and has no grad_fn");
        if (gradient is null)
        {
            if (root.Numel != 1) ThrowHelper.InvalidOperation($"Backward() without a gradient needs a scalar output, got shape {Tensor.ShapeString(root.ShapeSpan)}");
            gradient = Tensor.Ones(root.Shape);
        }
        else if (!gradient.ShapeSpan.SequenceEqual(root.ShapeSpan))
        {
            ThrowHelper.ShapeMismatch(nameof(gradient), "Backward", root.ShapeSpan, gradient.ShapeSpan);
        }

        // Topological order by iterative DFS over recorded nodes.
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
                continue;
            }
            order.Add(t);
        }

        // Gradients are released to the pool as soon as no pending slot holds them. A backward function may return
        // its incoming gradient (or one tensor for several inputs), so holds are counted per tensor object.
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = gradient };
        var holds = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance) { [gradient] = 1 };
        var released = new List<Tensor>(4);
        var userGradient = gradient;
        using var noGrad = NoGrad();
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            released.Clear();
            released.Add(g);
            var node = t.GradFn;
            if (node is null)
            {
                AccumulateLeaf(t, g);
            }
            else
            {
                var inputGrads = node.BackwardFn(g);
                for (int k = 0; k < node.Inputs.Length; k++)
                {
                    var input = node.Inputs[k];
                    var ig = k < inputGrads.Length ? inputGrads[k] : null;
                    if (ig is null || !input.RequiresGrad) continue;
                    if (!ig.ShapeSpan.SequenceEqual(input.ShapeSpan))
                        throw new InvalidOperationException($"Internal error: backward of '{node.Op}' returned a gradient of shape {Tensor.ShapeString(ig.ShapeSpan)} for input {k} of shape {Tensor.ShapeString(input.ShapeSpan)}");
                    if (_anomalyDepth > 0) CheckFinite(ig, node.Op, "backward");
                    if (grads.TryGetValue(input, out var existing))
                    {
                        // Accumulate into a fresh tensor: `existing` may be shared with another branch.
                        var sum = Tensor.AddNoGrad(existing, ig);
                        Hold(holds, sum, +1);
                        Hold(holds, existing, -1);
                        grads[input] = sum;
                        released.Add(existing);
                        released.Add(ig);
                    }
                    else
                    {
                        grads[input] = ig;
                        Hold(holds, ig, +1);
                    }
                }
            }
            Hold(holds, g, -1);
            foreach (var r in released)
            {
                if (!ReferenceEquals(r, userGradient) && !r.IsDisposed && (!holds.TryGetValue(r, out int n) || n == 0)) r.Dispose();
            }
        }
    }

    private static void Hold(Dictionary<Tensor, int> holds, Tensor t, int delta)
    {
        holds.TryGetValue(t, out int n);
        n += delta;
        if (n == 0) holds.Remove(t);
        else holds[t] = n;
    }

    private static void AccumulateLeaf(Tensor leaf, Tensor g)
    {
        using var suspend = TensorScope.Suspend();
        if (leaf.Grad is null || leaf.Grad.IsDisposed)
        {
            leaf.Grad = g.Clone();
        }
        else
        {
            if (!leaf.Grad.ShapeSpan.SequenceEqual(g.ShapeSpan))
                ThrowHelper.InvalidOperation($"Gradient shape {Tensor.ShapeString(g.ShapeSpan)} does not match the existing Grad {Tensor.ShapeString(leaf.Grad.ShapeSpan)}");
            System.Numerics.Tensors.TensorPrimitives.Add(leaf.Grad.Data, g.Data, leaf.Grad.Data);
        }
    }
}
