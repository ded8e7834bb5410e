using System.CommandLine;

namespace Wsss.Cli.Commands;

/// <summary>Runs the command tree; any exception becomes one line on stderr and a non-zero exit.</summary>
internal static class CliRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            while (e is AggregateException { InnerExceptions.Count: > 0 } agg) e = agg.InnerExceptions[0];
            Console.Error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }
}
