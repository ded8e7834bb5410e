namespace Wsss.Core.Optim;

/// <summary>Polynomial decay lr = lr₀ · (1 − step/maxSteps)^power, as IRNet's and psa's PolyOptimizer (power 0.9).</summary>
public sealed class PolyLR : LrScheduler
{
    /// <summary>Creates the schedule.</summary>
    public PolyLR(Optimizer optimizer, int maxSteps, double power = 0.9) : base(optimizer)
    {
        if (maxSteps <= 0) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "must be positive");
        MaxSteps = maxSteps;
        Power = power;
        Start();
    }

    /// <summary>Step at which the rate reaches zero.</summary>
    public int MaxSteps { get; }

    /// <summary>Exponent.</summary>
    public double Power { get; }

    /// <inheritdoc />
    public override double Factor(int step) => Math.Pow(Math.Max(0.0, 1.0 - (double)Math.Min(step, MaxSteps) / MaxSteps), Power);
}
