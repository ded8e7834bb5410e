namespace Wsss.Core.Nn;

/// <summary>How a loss reduces its per-element values (torch's <c>reduction=</c> argument).</summary>
public enum Reduction
{
    /// <summary>No reduction: the loss has one value per element (per sample for some losses).</summary>
    None,

    /// <summary>The (possibly weighted) mean of the per-element losses; a 0-d tensor.</summary>
    Mean,

    /// <summary>The sum of the per-element losses; a 0-d tensor.</summary>
    Sum,
}
