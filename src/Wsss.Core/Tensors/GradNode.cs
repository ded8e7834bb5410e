namespace Wsss.Core.Tensors;

/// <summary>
/// One recorded operation: its inputs and a function from the output's gradient to the inputs'
/// gradients (null where an input needs none).
/// </summary>
internal sealed class GradNode
{
    public GradNode(string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Op = op;
        Inputs = inputs;
        BackwardFn = backward;
    }

    public string Op { get; }

    public Tensor[] Inputs { get; }

    public Func<Tensor, Tensor?[]> BackwardFn { get; }
}
