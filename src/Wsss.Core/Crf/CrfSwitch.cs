namespace Wsss.Core.Crf;

/// <summary>
/// A yes/no as a type, so the JIT compiles a CRF kernel once per case with the branch folded away (the hot pixel
/// loops must not test a flag per pixel).
/// </summary>
internal interface ICrfSwitch
{
    /// <summary>The case.</summary>
    static abstract bool IsOn { get; }

    /// <summary>Yes.</summary>
    public readonly struct On : ICrfSwitch
    {
        /// <inheritdoc/>
        public static bool IsOn => true;
    }

    /// <summary>No.</summary>
    public readonly struct Off : ICrfSwitch
    {
        /// <inheritdoc/>
        public static bool IsOn => false;
    }
}
