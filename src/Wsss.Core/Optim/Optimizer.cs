using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Optim;

/// <summary>Base of the optimisers: parameter groups, <see cref="ZeroGrad"/>, <see cref="Step"/>, and state for checkpoints.</summary>
/// <remarks>torch.optim.Optimizer.</remarks>
public abstract class Optimizer
{
    private readonly Dictionary<Parameter, Dictionary<string, Tensor>> _state = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the optimiser over <paramref name="groups"/>, filling unset values with the defaults.</summary>
    protected Optimizer(IEnumerable<ParamGroup> groups, double lr, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be non-negative");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must be non-negative");
        Groups = groups.ToList();
        if (Groups.Count == 0 || Groups.All(g => g.Parameters.Count == 0))
            throw new ArgumentException("the optimiser got an empty parameter list", nameof(groups));
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var g in Groups)
        {
            if (double.IsNaN(g.LearningRate)) g.LearningRate = lr;
            if (double.IsNaN(g.WeightDecay)) g.WeightDecay = weightDecay;
            g.InitialLearningRate = g.LearningRate;
            foreach (var p in g.Parameters)
                if (!seen.Add(p)) throw new ArgumentException("a parameter appears in more than one group", nameof(groups));
        }
    }

    /// <summary>The parameter groups.</summary>
    public IReadOnlyList<ParamGroup> Groups { get; }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public long StepCount { get; protected set; }

    /// <summary>
    /// Clears every parameter's gradient (sets it to null, as PyTorch's default) and returns its buffer to the pool;
    /// a reference kept to an old gradient tensor is disposed.
    /// </summary>
    public void ZeroGrad()
    {
        foreach (var g in Groups)
            foreach (var p in g.Parameters) p.ClearGrad();
    }

    /// <summary>Updates every parameter that has a gradient.</summary>
    public void Step()
    {
        StepCount++;
        using var noGrad = Autograd.NoGrad();
        using var suspend = TensorScope.Suspend();
        foreach (var g in Groups)
        {
            foreach (var p in g.Parameters)
            {
                if (p.Grad is null) continue;
                if (!p.Grad.ShapeSpan.SequenceEqual(p.ShapeSpan))
                    throw new InvalidOperationException($"gradient shape {Tensor.ShapeString(p.Grad.ShapeSpan)} differs from parameter shape {Tensor.ShapeString(p.ShapeSpan)}");
                Update(g, p, p.Grad.Data, State(p));
            }
        }
    }

    /// <summary>Applies one update to <paramref name="p"/>.</summary>
    protected abstract void Update(ParamGroup group, Parameter p, Span<float> grad, Dictionary<string, Tensor> state);

    private Dictionary<string, Tensor> State(Parameter p)
    {
        if (!_state.TryGetValue(p, out var s)) _state[p] = s = new Dictionary<string, Tensor>();
        return s;
    }

    /// <summary>A zero state buffer shaped like <paramref name="p"/>, created on first use.</summary>
    protected static Tensor Buffer(Dictionary<string, Tensor> state, string name, Parameter p, out bool created)
    {
        created = !state.TryGetValue(name, out var t);
        if (created) state[name] = t = Tensor.Zeros(p.Shape);
        return t!;
    }

    /// <summary>The optimiser state as named tensors ("state.{group}.{index}.{name}", "step"), for checkpoints.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor> { ["step"] = Tensor.Scalar(StepCount) };
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            d[$"lr.{gi}"] = Tensor.Scalar((float)Groups[gi].LearningRate);
            for (int pi = 0; pi < Groups[gi].Parameters.Count; pi++)
                if (_state.TryGetValue(Groups[gi].Parameters[pi], out var s))
                    foreach (var (name, t) in s) d[$"state.{gi}.{pi}.{name}"] = t;
        }
        return d;
    }

    /// <summary>Restores state saved by <see cref="StateDict"/> (same parameter layout).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TryGetValue("step", out var step)) throw new ArgumentException("optimiser state has no 'step' entry", nameof(state));
        StepCount = (long)step.Item();
        using var suspend = TensorScope.Suspend();
        foreach (var (key, t) in state)
        {
            var parts = key.Split('.');
            if (parts[0] == "lr" && parts.Length == 2 && int.TryParse(parts[1], out int lg) && lg < Groups.Count)
            {
                Groups[lg].LearningRate = t.Item();
                continue;
            }
            if (parts[0] != "state") continue;
            if (parts.Length != 4 || !int.TryParse(parts[1], out int gi) || !int.TryParse(parts[2], out int pi) || gi >= Groups.Count || pi >= Groups[gi].Parameters.Count)
                throw new ArgumentException($"optimiser state key '{key}' does not match the parameter groups", nameof(state));
            var p = Groups[gi].Parameters[pi];
            if (!t.ShapeSpan.SequenceEqual(p.ShapeSpan) && t.Numel != 1)
                throw new ArgumentException($"optimiser state '{key}' has shape {Tensor.ShapeString(t.ShapeSpan)}, parameter has {Tensor.ShapeString(p.ShapeSpan)}", nameof(state));
            State(p)[parts[3]] = t.Clone();
        }
    }
}
