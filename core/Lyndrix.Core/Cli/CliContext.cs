using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Cli;

/// <summary>The streams and configuration a command runs with; tests pass their own.</summary>
internal sealed record CliContext(TextReader In, TextWriter Out, TextWriter Error, IConfigSource Config, string WorkingDirectory)
{
    public static CliContext FromConsole()
    {
        var cwd = Directory.GetCurrentDirectory();
        return new CliContext(Console.In, Console.Out, Console.Error, EnvironmentConfigSource.FromProcess(cwd), cwd);
    }
}
