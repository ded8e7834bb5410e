using System.CommandLine;
using Wsss.Cli.Commands;

var root = new RootCommand("wsss: weakly supervised semantic segmentation with Wsss.Core");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(TrainReconCommand.Create());
root.Subcommands.Add(CrfCommand.Create());
root.Subcommands.Add(PropagateCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(OverlayCommand.Create());
root.Subcommands.Add(SynthCommand.Create());
return await CliRunner.RunAsync(root, args);
