using Lyndrix.Core.Cli;
using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Tests.Secrets.Support;

/// <summary>Runs a CLI command in-process with given environment and stdin; captures stdout and stderr.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static async Task<CliRun> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, string stdin, params string[] args) =>
        await RunAsync(null, workingDirectory, environment, stdin, args);

    public static async Task<CliRun> RunAsync(ICliCommand? command, string workingDirectory, IReadOnlyDictionary<string, string> environment, string stdin, params string[] args)
    {
        using var input = new StringReader(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(input, output, error, EnvironmentConfigSource.FromValues(environment), workingDirectory);
        var code = command is null
            ? await LyndrixCli.RunAsync(args, context)
            : await command.RunAsync(context, args, CancellationToken.None);
        return new CliRun(code, output.ToString(), error.ToString());
    }
}
