using System.Globalization;
using Wsss.Core.Data;
using Wsss.Core.IO;
using Wsss.Core.Losses;
using Wsss.Core.Models;
using Wsss.Core.Optim;
using Wsss.Core.Tensors;

namespace Wsss.Core.Pipelines;

/// <summary>
/// Trains the decomposition U-Net of WSSS by reconstruction (L_recon + λ_m·L_mask) on generated
/// <see cref="ShapeScenes"/>, reporting progress and checkpointing atomically to a folder; a run pointed at a
/// folder that holds a checkpoint resumes from it and reaches exactly the weights an uninterrupted run would.
/// </summary>
public sealed class ReconstructionTrainer
{
    /// <summary>File name of the checkpoint inside the run folder.</summary>
    public const string CheckpointFile = "checkpoint.safetensors";

    private readonly ReconstructionTrainingOptions _options;
    private readonly string _directory;

    /// <summary>Creates a trainer writing to <paramref name="directory"/>.</summary>
    public ReconstructionTrainer(ReconstructionTrainingOptions options, string directory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options.Validate();
        _options = options;
        _directory = directory;
        Model = new DecompositionUNet(2, options.Width, options.Layout, generator: new Generator(options.Seed));
        Optimizer = new Adam(Model.Parameters(), options.LearningRate);
        Data = new ShapeScenes(options.ImageSize, options.Seed);
    }

    /// <summary>The network being trained.</summary>
    public DecompositionUNet Model { get; }

    /// <summary>The optimiser.</summary>
    public Adam Optimizer { get; }

    /// <summary>The data source.</summary>
    public ShapeScenes Data { get; }

    /// <summary>Steps completed (restored on resume).</summary>
    public int CompletedSteps { get; private set; }

    /// <summary>Loss of every completed step (restored on resume).</summary>
    public List<float> LossHistory { get; } = new();

    private string CheckpointPath => Path.Combine(_directory, CheckpointFile);

    /// <summary>Runs the remaining steps; returns the final mean IoU of the object mask on a held-out batch.</summary>
    public double Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_directory);
        if (TryResume()) progress?.Report(new TrainingProgress(CompletedSteps, _options.Steps, LossHistory.LastOrDefault(), float.NaN, float.NaN, Resumed: true));
        Model.Train();
        while (CompletedSteps < _options.Steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (images, labels, _) = Data.Batch(CompletedSteps, _options.Positives);
            float loss, lRecon, lMask;
            using (TensorScope.Begin())
            {
                Optimizer.ZeroGrad();
                var output = Model.Forward(images);
                var recon = ReconstructionLosses.Reconstruction(output.Reconstruction(), images);
                var mask = ReconstructionLosses.MaskPresence(output.MaskLogits, labels, ClassReduction.Sum);
                var total = recon + mask * _options.MaskWeight;
                total.Backward();
                Optimizer.Step();
                (loss, lRecon, lMask) = (total.Item(), recon.Item(), mask.Item());
            }
            if (!float.IsFinite(loss)) throw new InvalidOperationException($"training diverged at step {CompletedSteps}: loss {loss}");
            CompletedSteps++;
            LossHistory.Add(loss);
            progress?.Report(new TrainingProgress(CompletedSteps, _options.Steps, loss, lRecon, lMask));
            if (CompletedSteps % _options.CheckpointEvery == 0 || CompletedSteps == _options.Steps) SaveCheckpoint();
        }
        return Evaluate();
    }

    /// <summary>Mean IoU (object and background) of argmax masks on a held-out batch against the generator's ground truth.</summary>
    public double Evaluate(int batches = 2)
    {
        Model.Eval();
        long[] inter = new long[2], union = new long[2];
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < batches; i++)
            {
                using var scope = TensorScope.Begin();
                var (images, _, masks) = Data.Batch(1_000_000 + i, _options.Positives);
                var pred = Model.Forward(images).Prediction().Data;
                var gt = masks.Data;
                for (int p = 0; p < gt.Length; p++)
                    for (int c = 0; c < 2; c++)
                    {
                        bool a = pred[p] == c, b = gt[p] == c;
                        if (a && b) inter[c]++;
                        if (a || b) union[c]++;
                    }
            }
        }
        Model.Train();
        return Enumerable.Range(0, 2).Average(c => union[c] == 0 ? 1.0 : (double)inter[c] / union[c]);
    }

    /// <summary>Writes model, optimiser state, step and loss history in one atomic safetensors file.</summary>
    public void SaveCheckpoint()
    {
        var state = new Dictionary<string, Tensor>();
        foreach (var (k, v) in Model.StateDict()) state["model." + k] = v;
        foreach (var (k, v) in Optimizer.StateDict()) state["optimizer." + k] = v;
        state["trainer.step"] = Tensor.Scalar(CompletedSteps);
        if (LossHistory.Count > 0) state["trainer.loss_history"] = Tensor.FromArray(LossHistory.ToArray(), LossHistory.Count);
        var meta = new Dictionary<string, string>
        {
            ["format"] = "wsss.reconstruction.v1",
            ["options"] = string.Create(CultureInfo.InvariantCulture, $"width={_options.Width};size={_options.ImageSize};layout={_options.Layout};seed={_options.Seed}"),
        };
        StateDictFile.Save(CheckpointPath, state, metadata: meta);
    }

    private bool TryResume()
    {
        if (!File.Exists(CheckpointPath)) return false;
        var meta = Safetensors.ReadMetadata(CheckpointPath);
        string expected = string.Create(CultureInfo.InvariantCulture, $"width={_options.Width};size={_options.ImageSize};layout={_options.Layout};seed={_options.Seed}");
        if (!meta.TryGetValue("options", out var found) || found != expected)
            throw new InvalidOperationException($"the checkpoint in {_directory} was made with different settings ({found ?? "none"}; now {expected}); use another folder or the same settings");
        var state = StateDictFile.Load(CheckpointPath);
        Model.LoadStateDict(state.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key[6..], kv => kv.Value));
        Optimizer.LoadStateDict(state.Where(kv => kv.Key.StartsWith("optimizer.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key[10..], kv => kv.Value));
        CompletedSteps = (int)state["trainer.step"].Item();
        LossHistory.Clear();
        if (state.TryGetValue("trainer.loss_history", out var h)) LossHistory.AddRange(h.ToArray());
        return true;
    }
}
