using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>
/// Base of every layer and network: named parameters, buffers and children with PyTorch's dotted
/// names (<c>encoder.0.weight</c>), train/eval mode, state dictionaries.
/// </summary>
/// <remarks>torch.nn.Module.</remarks>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Parameter?>> _parameters = new();
    private readonly List<KeyValuePair<string, Tensor?>> _buffers = new();
    private readonly List<KeyValuePair<string, Module>> _children = new();

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers (or replaces) a parameter under <paramref name="name"/>; null registers an absent optional parameter.</summary>
    protected Parameter? RegisterParameter(string name, Parameter? parameter)
    {
        ValidateName(name);
        Replace(_parameters, name, parameter);
        return parameter;
    }

    /// <summary>Registers (or replaces) a non-learnable state tensor saved in the state dict (e.g. running statistics).</summary>
    protected Tensor? RegisterBuffer(string name, Tensor? buffer)
    {
        ValidateName(name);
        Replace(_buffers, name, buffer);
        return buffer;
    }

    /// <summary>Registers (or replaces) a child module.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(module);
        Replace(_children, name, (Module)module);
        return module;
    }

    private static void Replace<T>(List<KeyValuePair<string, T>> list, string name, T value)
    {
        int i = list.FindIndex(kv => kv.Key == name);
        if (i >= 0) list[i] = new(name, value);
        else list.Add(new(name, value));
    }

    private static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid member name (non-empty, no dots)", nameof(name));
    }

    /// <summary>Direct children in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children.Select(kv => (kv.Key, kv.Value));

    /// <summary>This module and every descendant, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in _children)
            foreach (var m in child.NamedModules(Join(prefix, name)))
                yield return m;
    }

    /// <summary>Every parameter with its dotted name, depth-first in registration order (as PyTorch).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in _parameters)
            if (p is not null) yield return (Join(prefix, name), p);
        foreach (var (name, child) in _children)
            foreach (var np in child.NamedParameters(Join(prefix, name)))
                yield return np;
    }

    /// <summary>Every parameter.</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(np => np.Parameter);

    /// <summary>Every buffer with its dotted name.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, b) in _buffers)
            if (b is not null) yield return (Join(prefix, name), b);
        foreach (var (name, child) in _children)
            foreach (var nb in child.NamedBuffers(Join(prefix, name)))
                yield return nb;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>Number of parameter elements (optionally only those that require grad).</summary>
    public long ParameterCount(bool trainableOnly = false)
        => Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => (long)p.Numel);

    /// <summary>Sets training mode on this module and its descendants.</summary>
    public virtual Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, child) in _children) child.Train(mode);
        return this;
    }

    /// <summary>Evaluation mode (<c>Train(false)</c>).</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Clears the gradients of every parameter (sets them to null, as PyTorch's default) and returns their buffers to
    /// the pool; a reference kept to an old gradient tensor is disposed.
    /// </summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ClearGrad();
    }

    /// <summary>Sets RequiresGrad on every parameter (false freezes the module).</summary>
    public Module RequiresGrad_(bool requiresGrad = true)
    {
        foreach (var p in Parameters()) p.RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>Parameters and buffers by dotted name, sharing storage with the module.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (name, m) in NamedModules())
        {
            foreach (var (pn, p) in m._parameters)
                if (p is not null) d[Join(name, pn)] = p;
            foreach (var (bn, b) in m._buffers)
                if (b is not null) d[Join(name, bn)] = b;
        }
        return d;
    }

    /// <summary>
    /// Copies <paramref name="state"/> into the parameters and buffers. With <paramref name="strict"/>, any missing
    /// or unexpected key throws; otherwise they are reported. A shape mismatch always throws.
    /// </summary>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateDict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            throw new ArgumentException(
                $"Error loading state dict: missing keys [{string.Join(", ", missing)}], unexpected keys [{string.Join(", ", unexpected)}]", nameof(state));
        }
        foreach (var (key, dst) in own)
        {
            if (!state.TryGetValue(key, out var src)) continue;
            if (!src.ShapeSpan.SequenceEqual(dst.ShapeSpan))
                throw new ArgumentException($"size mismatch for {key}: the checkpoint has shape {Tensor.ShapeString(src.ShapeSpan)}, the module has {Tensor.ShapeString(dst.ShapeSpan)}", nameof(state));
            src.Data.CopyTo(dst.Data);
        }
        return new LoadStateDictResult(missing, unexpected);
    }
}

/// <summary>Keys that <see cref="Module.LoadStateDict"/> did not find or did not expect.</summary>
/// <param name="MissingKeys">Keys of the module absent from the state dict.</param>
/// <param name="UnexpectedKeys">Keys of the state dict the module does not have.</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

/// <summary>A module with a single-input forward pass.</summary>
/// <typeparam name="TIn">Input type.</typeparam>
/// <typeparam name="TOut">Output type.</typeparam>
public abstract class Module<TIn, TOut> : Module
{
    private HookEntry[] _hooks = Array.Empty<HookEntry>();
    private readonly object _hookLock = new();

    /// <summary>The forward computation (hooks do not run; containers call their children through <see cref="Call"/>).</summary>
    public abstract TOut Forward(TIn input);

    /// <summary>Runs <see cref="Forward"/>, then every forward hook in registration order, each seeing (and able to replace) the output.</summary>
    /// <remarks>torch.nn.Module.__call__.</remarks>
    public TOut Call(TIn input)
    {
        var output = Forward(input);
        foreach (var entry in Volatile.Read(ref _hooks)) output = entry.Hook(this, input, output);
        return output;
    }

    /// <summary>
    /// Registers a hook that runs after every <see cref="Call"/> of this module; its return value replaces the output
    /// (return the output unchanged to only observe it). Dispose the handle to remove this registration (and only it).
    /// </summary>
    /// <remarks>
    /// torch.nn.Module.register_forward_hook. The library's containers and networks call their children through
    /// <see cref="Call"/>, so hooks fire on their layers; a network that runs a backbone stage by stage (e.g.
    /// <c>CamClassifier</c> over its ResNet) fires the hooks of the stages and layers, not of the backbone module itself.
    /// Under no-grad a ResNet block returns its intermediates to the pool when it finishes, so a hook inside a block that
    /// keeps a tensor must copy it.
    /// </remarks>
    public IDisposable RegisterForwardHook(ForwardHook<TIn, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var entry = new HookEntry(hook);
        lock (_hookLock) _hooks = [.. _hooks, entry];
        return new HookHandle(this, entry);
    }

    private sealed class HookEntry(ForwardHook<TIn, TOut> hook)
    {
        public ForwardHook<TIn, TOut> Hook { get; } = hook;
    }

    private sealed class HookHandle(Module<TIn, TOut> owner, HookEntry entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            lock (owner._hookLock) owner._hooks = owner._hooks.Where(h => !ReferenceEquals(h, entry)).ToArray();
        }
    }
}

/// <summary>A forward hook: sees the module, its input and its output, and returns the output to pass on.</summary>
/// <typeparam name="TIn">Input type of the module.</typeparam>
/// <typeparam name="TOut">Output type of the module.</typeparam>
public delegate TOut ForwardHook<TIn, TOut>(Module<TIn, TOut> module, TIn input, TOut output);
