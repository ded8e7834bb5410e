namespace Wsss.Core.Tensors;

/// <summary>
/// Collects every tensor created on this thread while the scope is open and disposes them when it
/// closes, returning their buffers to <see cref="TensorPool"/>. Use one per training step:
/// <code>using (var scope = TensorScope.Begin()) { var loss = ...; loss.Backward(); opt.Step(); }</code>
/// Parameters, gradients and optimiser state are created outside any scope and survive it.
/// Use <see cref="Keep"/> to move a result out to the enclosing scope (or out of all scopes).
/// </summary>
/// <remarks>The API shape of TorchSharp's DisposeScope.</remarks>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly TensorScope? _parent;
    private readonly List<Tensor> _tensors = new();
    private readonly HashSet<Tensor> _kept = new(ReferenceEqualityComparer.Instance);
    private readonly bool _suspending;
    private bool _disposed;

    private TensorScope(TensorScope? parent, bool suspending)
    {
        _parent = parent;
        _suspending = suspending;
    }

    /// <summary>The innermost open scope on this thread, or null.</summary>
    public static TensorScope? Current => _current is { _suspending: true } ? null : _current;

    /// <summary>Opens a scope on the current thread.</summary>
    public static TensorScope Begin()
    {
        var s = new TensorScope(_current, suspending: false);
        _current = s;
        return s;
    }

    /// <summary>Tensors created until the returned handle is disposed belong to no scope (parameters, gradients, state).</summary>
    public static IDisposable Suspend()
    {
        var s = new TensorScope(_current, suspending: true);
        _current = s;
        return s;
    }

    internal static void Register(Tensor t)
    {
        var s = _current;
        if (s is null || s._suspending) return;
        s._tensors.Add(t);
    }

    /// <summary>Excludes <paramref name="tensor"/> from this scope's disposal and hands it to the enclosing scope (none when that is a <see cref="Suspend"/>).</summary>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        // The enclosing scope takes it over; under a Suspend (or no scope at all) it belongs to none, as if created there.
        if (_kept.Add(tensor) && _parent is { _suspending: false } parent) parent._tensors.Add(tensor);
        return tensor;
    }

    /// <summary>Number of tensors this scope will dispose.</summary>
    public int Count => _tensors.Count - _kept.Count;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("TensorScope disposed out of order: close the innermost scope first.");
        _current = _parent;
        foreach (var t in _tensors)
        {
            if (!_kept.Contains(t)) t.Dispose();
        }
        _tensors.Clear();
    }
}
