namespace Wsss.Core.Optim;

/// <summary>
/// Linear warm-up from startFactor to 1 over warmupSteps (torch.optim.lr_scheduler.LinearLR), then optionally a
/// polynomial decay to zero at totalSteps.
/// </summary>
public sealed class LinearWarmupLR : LrScheduler
{
    /// <summary>Creates the schedule; totalSteps 0 keeps the rate constant after warm-up.</summary>
    public LinearWarmupLR(Optimizer optimizer, int warmupSteps, double startFactor = 1.0 / 3, int totalSteps = 0, double power = 0.9) : base(optimizer)
    {
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "must be non-negative");
        if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "must be in (0, 1]");
        if (totalSteps != 0 && totalSteps <= warmupSteps) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "must exceed warmupSteps (or be 0)");
        WarmupSteps = warmupSteps;
        StartFactor = startFactor;
        TotalSteps = totalSteps;
        Power = power;
        Start();
    }

    /// <summary>Warm-up length.</summary>
    public int WarmupSteps { get; }

    /// <summary>Factor at step 0.</summary>
    public double StartFactor { get; }

    /// <summary>Step at which the decay reaches zero (0: no decay).</summary>
    public int TotalSteps { get; }

    /// <summary>Decay exponent.</summary>
    public double Power { get; }

    /// <inheritdoc />
    public override double Factor(int step)
    {
        if (step < WarmupSteps) return StartFactor + (1 - StartFactor) * step / WarmupSteps;
        if (TotalSteps == 0) return 1;
        double frac = (double)(Math.Min(step, TotalSteps) - WarmupSteps) / (TotalSteps - WarmupSteps);
        return Math.Pow(1 - frac, Power);
    }
}
