using Wsss.Cli.Commands;

return await CliRunner.RunAsync(WsssCommandLine.Build(), args);
