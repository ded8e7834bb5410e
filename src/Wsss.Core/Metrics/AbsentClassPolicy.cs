namespace Wsss.Core.Metrics;

/// <summary>How a class absent from both the prediction and the ground truth (union 0) enters a mean over classes.</summary>
public enum AbsentClassPolicy
{
    /// <summary>Left out of the mean (its IoU is NaN and the mean is a NaN-mean), as chainercv / IRNet / psa evaluate.</summary>
    Exclude,

    /// <summary>Counted as a perfect 1 (nothing to find, nothing wrongly predicted).</summary>
    CountAsOne,

    /// <summary>Counted as 0.</summary>
    CountAsZero,
}
