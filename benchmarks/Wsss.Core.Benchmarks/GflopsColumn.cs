using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Wsss.Core.Benchmarks;

/// <summary>A summary column with GFLOP/s = FLOPs of the case / mean time.</summary>
internal sealed class GflopsColumn(string formula, Func<BenchmarkCase, double?> flops) : IColumn
{
    public string Id => nameof(GflopsColumn);

    public string ColumnName => "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"Billions of floating-point operations per second, {formula} / mean time";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        double? f = flops(benchmarkCase);
        return meanNs is > 0 && f is > 0 ? (f.Value / meanNs.Value).ToString("F1", CultureInfo.InvariantCulture) : "NA";
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;
}
