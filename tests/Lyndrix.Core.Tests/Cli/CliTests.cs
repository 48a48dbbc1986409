using Lyndrix.Core.Cli;
using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Tests.Cli;

public sealed class CliTests
{
    internal static async Task<(int Code, string Out, string Err)> Run(IReadOnlyDictionary<string, string> env, string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(new StringReader(stdin), output, error, EnvironmentConfigSource.FromValues(env), Path.GetTempPath());
        var code = await LyndrixCli.RunAsync(args, context);
        return (code, output.ToString(), error.ToString());
    }

    [Test]
    public async Task Help_lists_every_command()
    {
        var (code, output, _) = await Run(new Dictionary<string, string>(), "", "--help");
        Assert.That(code, Is.Zero);
        foreach (var command in LyndrixCli.VisibleCommands)
        {
            Assert.That(output, Does.Contain(command.Name).And.Contain(command.Summary));
        }

        Assert.That(output, Does.Not.Contain("plugin-host"), "the host's internal child command is not offered to operators");
    }

    [Test]
    public async Task Each_command_explains_itself()
    {
        foreach (var command in LyndrixCli.Commands)
        {
            var (code, output, _) = await Run(new Dictionary<string, string>(), "", command.Name, "--help");
            Assert.That(code, Is.Zero, command.Name);
            Assert.That(output, Does.Contain("Usage: lyndrix " + command.Name), command.Name);
        }
    }

    [Test]
    public async Task An_unknown_command_is_a_usage_error_with_help()
    {
        var (code, _, error) = await Run(new Dictionary<string, string>(), "", "frobnicate");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("Unknown command 'frobnicate'").And.Contain("Commands:"));
    }

    [Test]
    public async Task Run_refuses_invalid_configuration_naming_the_variable()
    {
        var (code, _, error) = await Run(new Dictionary<string, string> { ["PORT"] = "99999" }, "", "run");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("PORT"));
    }
}
