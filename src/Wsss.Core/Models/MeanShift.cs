using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Models;

/// <summary>
/// IRNet's displacement re-centring: a buffer <c>running_mean</c> (one value per channel) that is subtracted from
/// the input in eval mode; identity in training mode. After training, IRNet measures the mean displacement its
/// network predicts over the inference images and stores it here (<see cref="Calibrate"/>).
/// </summary>
/// <remarks>IRNet: <c>net/resnet50_irn.Net.MeanShift</c> (state dict key <c>running_mean</c>).</remarks>
public sealed class MeanShift : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with a zero running mean.</summary>
    /// <param name="numFeatures">Channels (2 for IRNet's (y, x) displacement field).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numFeatures"/> is not positive.</exception>
    public MeanShift(int numFeatures = 2)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, "must be positive");
        NumFeatures = numFeatures;
        using var suspend = TensorScope.Suspend();
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(numFeatures))!;
    }

    /// <summary>Channels.</summary>
    public int NumFeatures { get; }

    /// <summary>The per-channel mean subtracted in eval mode, shape (<see cref="NumFeatures"/>).</summary>
    public Tensor RunningMean { get; }

    /// <summary>Sets <see cref="RunningMean"/>.</summary>
    /// <param name="mean">One finite value per channel.</param>
    /// <exception cref="ArgumentException">The length is not <see cref="NumFeatures"/> or a value is not finite.</exception>
    public void SetRunningMean(ReadOnlySpan<float> mean)
    {
        if (mean.Length != NumFeatures)
            throw new ArgumentException($"expected {NumFeatures} values, got {mean.Length}", nameof(mean));
        for (int i = 0; i < mean.Length; i++)
            if (!float.IsFinite(mean[i])) throw new ArgumentException($"value {i} is {mean[i]}, expected a finite number", nameof(mean));
        mean.CopyTo(RunningMean.Data);
    }

    /// <summary>
    /// Sets <see cref="RunningMean"/> to the mean over the batches of each batch's per-channel mean over
    /// (batch, height, width), as <c>train_irn</c> does after training, and returns it.
    /// </summary>
    /// <param name="displacements">Raw (un-shifted) outputs, each (B, <see cref="NumFeatures"/>, H, W); sizes may differ between batches.</param>
    /// <returns>The new running mean.</returns>
    /// <exception cref="ArgumentException">There is no batch, a batch has the wrong shape or is empty, or a mean is not finite.</exception>
    /// <remarks>IRNet: the end of <c>step/train_irn.py</c> (<c>mean_shift.running_mean = mean(stack(dp_mean_list))</c>).</remarks>
    public float[] Calibrate(IEnumerable<Tensor> displacements)
    {
        ArgumentNullException.ThrowIfNull(displacements);
        var sum = new double[NumFeatures];
        int batches = 0;
        foreach (var d in displacements)
        {
            if (d is null || d.Rank != 4 || d.Size(1) != NumFeatures || d.Numel == 0)
                throw new ArgumentException($"batch {batches}: expected a non-empty (B, {NumFeatures}, H, W) displacement, got {(d is null ? "null" : Tensor.ShapeString(d.ShapeSpan))}", nameof(displacements));
            int b = d.Size(0), hw = d.Size(2) * d.Size(3);
            var data = d.Data;
            for (int c = 0; c < NumFeatures; c++)
            {
                double s = 0;
                for (int n = 0; n < b; n++)
                {
                    var plane = data.Slice((n * NumFeatures + c) * hw, hw);
                    for (int i = 0; i < plane.Length; i++) s += plane[i];
                }
                sum[c] += (float)(s / ((long)b * hw));
            }
            batches++;
        }
        if (batches == 0) throw new ArgumentException("no displacement batch to average", nameof(displacements));
        var mean = sum.Select(s => (float)(s / batches)).ToArray();
        SetRunningMean(mean);
        return mean;
    }

    /// <summary>The input in training mode; input − running_mean (per channel) in eval mode.</summary>
    /// <exception cref="ArgumentException">The input is not (N, <see cref="NumFeatures"/>, H, W).</exception>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Size(1) != NumFeatures)
            throw new ArgumentException($"MeanShift expects (N, {NumFeatures}, H, W), got {Tensor.ShapeString(input.ShapeSpan)}", nameof(input));
        return Training ? input : input - RunningMean.Reshape(1, NumFeatures, 1, 1);
    }
}
