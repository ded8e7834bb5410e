namespace Wsss.Core.Nn;

/// <summary>Which fan Kaiming initialisation preserves.</summary>
public enum FanMode
{
    /// <summary>Preserve the forward variance (fan_in).</summary>
    FanIn,

    /// <summary>Preserve the backward variance (fan_out).</summary>
    FanOut,
}
