using Wsss.Core.Tensors;

namespace Wsss.Core.Nn;

/// <summary>
/// Batch normalisation over (N, C, H, W) with running statistics. Training mode normalises with batch statistics
/// and updates the running ones; eval mode uses the running ones. <see cref="Frozen"/> keeps eval behaviour and
/// stops gradients to the affine parameters even in training mode (IRNet's and psa's frozen backbones).
/// </summary>
/// <remarks>torch.nn.BatchNorm2d: <c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>.</remarks>
public sealed class BatchNorm2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer (weight 1, bias 0, running mean 0, running variance 1).</summary>
    public BatchNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, "must be positive");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        using var suspend = TensorScope.Suspend();
        Weight = affine ? RegisterParameter("weight", new Parameter(Tensor.Ones(numFeatures))) : null;
        Bias = affine ? RegisterParameter("bias", new Parameter(Tensor.Zeros(numFeatures))) : null;
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(numFeatures))!;
        RunningVar = RegisterBuffer("running_var", Tensor.Ones(numFeatures))!;
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros(Array.Empty<int>()))!;
    }

    /// <summary>Channels.</summary>
    public int NumFeatures { get; }

    /// <summary>ε added to the variance.</summary>
    public float Eps { get; }

    /// <summary>Running-statistics momentum.</summary>
    public float Momentum { get; }

    /// <summary>Scale γ.</summary>
    public Parameter? Weight { get; }

    /// <summary>Shift β.</summary>
    public Parameter? Bias { get; }

    /// <summary>Running mean.</summary>
    public Tensor RunningMean { get; }

    /// <summary>Running (unbiased) variance.</summary>
    public Tensor RunningVar { get; }

    /// <summary>Number of training batches seen.</summary>
    public Tensor NumBatchesTracked { get; }

    /// <summary>Always use running statistics and freeze γ and β.</summary>
    public bool Frozen { get; private set; }

    /// <summary>Freezes (or unfreezes) the layer.</summary>
    public BatchNorm2d Freeze(bool frozen = true)
    {
        Frozen = frozen;
        if (Weight is not null) Weight.RequiresGrad = !frozen;
        if (Bias is not null) Bias.RequiresGrad = !frozen;
        return this;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        bool training = Training && !Frozen;
        if (training) NumBatchesTracked.Data[0] += 1;
        return Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, training, Momentum, Eps);
    }
}
