namespace Wsss.Core.Losses;

/// <summary>How a per-class loss is combined over classes.</summary>
public enum ClassReduction
{
    /// <summary>Mean over classes (the paper's equations).</summary>
    Mean,

    /// <summary>Sum over classes (the reference code's <c>MaskRegLoss</c>).</summary>
    Sum,
}
