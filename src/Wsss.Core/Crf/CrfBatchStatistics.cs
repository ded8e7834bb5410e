namespace Wsss.Core.Crf;

/// <summary>What a batch run did (for tests): the largest sum of working-set estimates and of items in flight at once.</summary>
internal sealed class CrfBatchStatistics
{
    public long PeakEstimatedBytes { get; set; }

    public int PeakConcurrency { get; set; }
}
