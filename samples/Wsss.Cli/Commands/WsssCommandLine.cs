using System.CommandLine;

namespace Wsss.Cli.Commands;

/// <summary>The <c>wsss</c> command tree (DESIGN.md's command contracts).</summary>
internal static class WsssCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("wsss: weakly supervised semantic segmentation with Wsss.Core");
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(TrainReconCommand.Create());
        root.Subcommands.Add(CrfCommand.Create());
        root.Subcommands.Add(PropagateCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(OverlayCommand.Create());
        root.Subcommands.Add(SynthCommand.Create());
        return root;
    }
}
