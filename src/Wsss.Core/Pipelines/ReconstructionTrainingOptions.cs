using Wsss.Core.Models;

namespace Wsss.Core.Pipelines;

/// <summary>Settings of <see cref="ReconstructionTrainer"/> (defaults: the reference notebook's, at a CPU-friendly width).</summary>
public sealed record ReconstructionTrainingOptions
{
    /// <summary>Optimiser steps.</summary>
    public int Steps { get; init; } = 150;

    /// <summary>Positive images per step (as many negatives are added).</summary>
    public int Positives { get; init; } = 4;

    /// <summary>Image side.</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>U-Net base width (64 in the paper).</summary>
    public int Width { get; init; } = 8;

    /// <summary>U-Net layout.</summary>
    public UNetLayout Layout { get; init; } = UNetLayout.Paper;

    /// <summary>Adam learning rate (1e-4 in the reference; higher for short CPU runs).</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>λ_m, the weight of L_mask (1e-3 in the reference).</summary>
    public float MaskWeight { get; init; } = 1e-3f;

    /// <summary>Seed of the initialisation and of the data.</summary>
    public ulong Seed { get; init; }

    /// <summary>Write a checkpoint every this many steps (and at the end).</summary>
    public int CheckpointEvery { get; init; } = 25;

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (Steps <= 0) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "must be positive");
        if (Positives <= 0) throw new ArgumentOutOfRangeException(nameof(Positives), Positives, "must be positive");
        if (ImageSize < 16 || ImageSize % 16 != 0) throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, "must be a positive multiple of 16");
        if (Width <= 0) throw new ArgumentOutOfRangeException(nameof(Width), Width, "must be positive");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be positive");
        if (!(MaskWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(MaskWeight), MaskWeight, "must be non-negative");
        if (CheckpointEvery <= 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "must be positive");
    }
}
