namespace Wsss.Core.Pipelines;

/// <summary>One progress report of a training run.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Loss">Total loss of the last step.</param>
/// <param name="ReconstructionLoss">L_recon of the last step.</param>
/// <param name="MaskLoss">L_mask of the last step.</param>
/// <param name="Resumed">True for the report made right after resuming from a checkpoint.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, float Loss, float ReconstructionLoss, float MaskLoss, bool Resumed = false);
