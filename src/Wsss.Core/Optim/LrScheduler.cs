namespace Wsss.Core.Optim;

/// <summary>
/// Sets every group's learning rate to InitialLearningRate · <see cref="Factor"/>(step). Call <see cref="Step"/>
/// once per optimiser step (after it), as PyTorch schedulers.
/// </summary>
public abstract class LrScheduler
{
    /// <summary>Binds the schedule to <paramref name="optimizer"/> and applies the factor for step 0.</summary>
    protected LrScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
    }

    /// <summary>The optimiser whose learning rates are set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Steps taken so far.</summary>
    public int CurrentStep { get; private set; }

    /// <summary>Multiplier of the initial learning rate at <paramref name="step"/>.</summary>
    public abstract double Factor(int step);

    /// <summary>Advances one step and updates the learning rates.</summary>
    public void Step() => SetStep(CurrentStep + 1);

    /// <summary>Jumps to <paramref name="step"/> (e.g. when resuming).</summary>
    public void SetStep(int step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "must be non-negative");
        CurrentStep = step;
        double f = Factor(step);
        foreach (var g in Optimizer.Groups) g.LearningRate = g.InitialLearningRate * f;
    }

    /// <summary>Applies the factor of step 0.</summary>
    protected void Start() => SetStep(0);
}
