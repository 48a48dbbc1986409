using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Cli;

/// <summary>Entry point of the <c>lyndrix</c> executable.</summary>
internal static class LyndrixCli
{
    public static IReadOnlyList<ICliCommand> Commands { get; } =
    [
        new RunCommand(),
        new KeyfileCommand(),
        new VaultCommand(),
        new PluginsCommand(),
        new SecretsCommand(),
        new AuditCommand(),
        new DoctorCommand(),
        new BackupCommand(),
        new Modules.Isolation.PluginHostCommand(),
        new Modules.HeldRootsCommand(),
    ];

    /// <summary>The commands an operator uses; the host's internal child commands are left out of the general help.</summary>
    public static IEnumerable<ICliCommand> VisibleCommands => Commands.Where(c => !c.IsInternal);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken = default)
    {
        if (args.Count > 0 && args[0] is "--help" or "-h" or "help")
        {
            if (args.Count > 1 && Find(args[1]) is { } named)
            {
                await context.Out.WriteLineAsync(named.Help).ConfigureAwait(false);
                return 0;
            }

            await context.Out.WriteLineAsync(GeneralHelp()).ConfigureAwait(false);
            return 0;
        }

        if (args.Count > 0 && args[0] is "--version")
        {
            await context.Out.WriteLineAsync($"lyndrix {typeof(LyndrixCli).Assembly.GetName().Version} (plugin API {Sdk.LyndrixApi.Version})").ConfigureAwait(false);
            return 0;
        }

        var name = args.Count == 0 || args[0].StartsWith('-') ? "run" : args[0];
        var rest = args.Count == 0 || args[0].StartsWith('-') ? args : args.Skip(1).ToArray();
        var command = Find(name);
        if (command is null)
        {
            await context.Error.WriteLineAsync($"Unknown command '{name}'.\n\n{GeneralHelp()}").ConfigureAwait(false);
            return 2;
        }

        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            await context.Out.WriteLineAsync(command.Help).ConfigureAwait(false);
            return 0;
        }

        try
        {
            return await command.RunAsync(context, rest, cancellationToken).ConfigureAwait(false);
        }
        catch (CliUsageException ex)
        {
            await context.Error.WriteLineAsync($"{ex.Message}\n\n{command.Help}").ConfigureAwait(false);
            return 2;
        }
        catch (Secrets.Embedded.SecretStoreIntegrityException ex)
        {
            // The embedded store's files do not belong together; the message names them and how to restore.
            await context.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }
        catch (Hosting.DeploymentBusyException ex)
        {
            // A restore runs on this deployment: the message names it and says when to start again.
            await context.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }
        catch (ConfigurationException ex)
        {
            // Settings problems already name each variable and what to set; the command's help would only bury them.
            await context.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }
    }

    private static ICliCommand? Find(string name) => Commands.FirstOrDefault(c => c.Name == name);

    private static string GeneralHelp() =>
        "lyndrix: a modular host with a plugin runtime, secrets in Vault and an event-driven boot.\n\n" +
        "Usage: lyndrix [command] [options]\n\nCommands:\n" +
        string.Join("\n", VisibleCommands.Select(c => $"  {c.Name,-10} {c.Summary}")) +
        "\n\nWith no command, 'run' is used. 'lyndrix COMMAND --help' explains a command.\n" +
        "Configuration comes from environment variables and an optional .env file in the working directory;\n" +
        "see the README's configuration reference.";
}
