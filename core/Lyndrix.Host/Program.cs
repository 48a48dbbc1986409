using Lyndrix.Core.Cli;

return await LyndrixCli.RunAsync(args, CliContext.FromConsole()).ConfigureAwait(false);
