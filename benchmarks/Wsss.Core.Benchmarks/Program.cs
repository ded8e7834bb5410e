using BenchmarkDotNet.Running;

namespace Wsss.Core.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project benchmarks/Wsss.Core.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
