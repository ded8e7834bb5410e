using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Wsss.Core.Models;
using Wsss.Core.Pipelines;

namespace Wsss.Cli.Commands;

/// <summary>
/// <c>wsss train-recon</c>: trains the decomposition U-Net of WSSS by reconstruction on generated scenes,
/// checkpointing to --out; rerunning with the same --out resumes.
/// </summary>
internal static class TrainReconCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Run folder (checkpoint, loss curve); rerun to resume", DefaultValueFactory = _ => "runs/recon" };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps", DefaultValueFactory = _ => 150 };
        var positives = new Option<int>("--positives") { Description = "Positive images per step (as many negatives are added)", DefaultValueFactory = _ => 4 };
        var size = new Option<int>("--size") { Description = "Image side (multiple of 16)", DefaultValueFactory = _ => 32 };
        var width = new Option<int>("--width") { Description = "U-Net base width (64 in the paper)", DefaultValueFactory = _ => 8 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 2e-3 };
        var layout = new Option<UNetLayout>("--layout") { Description = "Paper (appendix A) or Reference (public code)", DefaultValueFactory = _ => UNetLayout.Paper };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initialisation and the data", DefaultValueFactory = _ => 0UL };
        var cmd = new Command("train-recon", "Train the reconstruction U-Net pair (Zeng 2024) on generated scenes, with checkpoints and resume")
        {
            outDir, steps, positives, size, width, lr, layout, seed,
        };
        cmd.SetAction(parse =>
        {
            var options = new ReconstructionTrainingOptions
            {
                Steps = parse.GetValue(steps),
                Positives = parse.GetValue(positives),
                ImageSize = parse.GetValue(size),
                Width = parse.GetValue(width),
                LearningRate = parse.GetValue(lr),
                Layout = parse.GetValue(layout),
                Seed = parse.GetValue(seed),
            };
            string dir = parse.GetValue(outDir)!;
            var trainer = new ReconstructionTrainer(options, dir);
            Console.WriteLine($"training {options.Layout} U-Net pair, width {options.Width}, {trainer.Model.ParameterCount():N0} parameters, {options.ImageSize}x{options.ImageSize} images, {2 * options.Positives} per step");
            var sw = Stopwatch.StartNew();
            var progress = new SyncProgress<TrainingProgress>(p =>
            {
                if (p.Resumed) Console.WriteLine($"resumed from {Path.Combine(dir, ReconstructionTrainer.CheckpointFile)} at step {p.Step}");
                else if (p.Step == 1 || p.Step % 10 == 0 || p.Step == p.TotalSteps)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {p.Step,5}/{p.TotalSteps}  loss {p.Loss:F5}  L_recon {p.ReconstructionLoss:F5}  L_mask {p.MaskLoss:F4}  {sw.Elapsed.TotalSeconds,6:F1} s"));
            });
            double miou = trainer.Run(progress);
            File.WriteAllLines(Path.Combine(dir, "loss.csv"), new[] { "step,loss" }.Concat(trainer.LossHistory.Select((l, i) => string.Create(CultureInfo.InvariantCulture, $"{i + 1},{l}"))));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"object/background mIoU of the argmax masks on held-out scenes: {miou:F3}"));
            var curve = trainer.LossHistory.Select((l, i) => ((double)(i + 1), (double)l)).ToArray();
            string svg = Wsss.Core.Imaging.SvgChart.LineChart(new[] { ("L_recon + λ_m·L_mask", (IReadOnlyList<(double, double)>)curve) }, "WSSS by reconstruction: training loss");
            Wsss.Core.IO.AtomicFile.Write(Path.Combine(dir, "loss.svg"), s => s.Write(System.Text.Encoding.UTF8.GetBytes(svg)));
            Console.WriteLine($"checkpoint: {Path.Combine(dir, ReconstructionTrainer.CheckpointFile)}; loss curve: {Path.Combine(dir, "loss.csv")} and loss.svg");
            return 0;
        });
        return cmd;
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
