using BenchmarkDotNet.Running;

namespace Wsss.Core.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/Wsss.Core.Benchmarks -- --filter '*'</c>, or
/// <c>-- crf-memory W H</c> for the dense CRF's peak memory (<see cref="DenseCrfMemory"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "crf-memory") return DenseCrfMemory.Run(args[1..]);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
