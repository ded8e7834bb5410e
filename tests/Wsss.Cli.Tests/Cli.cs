using Wsss.Cli.Commands;

namespace Wsss.Cli.Tests;

/// <summary>Runs <c>wsss</c> in-process with stdout and stderr captured (the console is global: the fixtures are not parallel).</summary>
internal static class Cli
{
    private static readonly object Gate = new();

    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (o, e) = (new StringWriter(), new StringWriter());
            Console.SetOut(o);
            Console.SetError(e);
            try
            {
                int exit = CliRunner.RunAsync(WsssCommandLine.Build(), args).GetAwaiter().GetResult();
                return (exit, o.ToString(), e.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    public static string Fixture(params string[] parts) => Path.Combine([TestContext.CurrentContext.TestDirectory, "Fixtures", .. parts]);

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "wsss-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
