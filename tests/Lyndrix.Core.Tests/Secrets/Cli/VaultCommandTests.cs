using System.Text.Json;
using System.Net.Http.Json;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Cli;

/// <summary><c>lyndrix vault</c> against a running host.</summary>
public class VaultCommandTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-secrets");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private Task<CliRun> Run(HostHarness host, Dictionary<string, string> env, string stdin, params string[] args) =>
        CliRun.RunAsync(_dir.Path, env, stdin, [.. args, "--url", host.BaseAddress.ToString()]);

    [Test]
    public async Task Status_init_with_the_key_on_stdin_then_a_refused_unseal()
    {
        await using var host = await HostHarness.StartAsync(HostEnvironment(_dir.Path, masterKey: null));
        await host.WaitForStatusAsync(s => s.GetProperty("ui_state").GetString() == "needs_init", "needs_init");
        // The CLI reads the setup token from the host's SECURITY_DIR, as on the host's own machine.
        var env = new Dictionary<string, string> { ["SECURITY_DIR"] = Path.Combine(_dir.Path, "security") };
        var before = await Run(host, env, "", "vault", "status");
        var weak = await Run(host, env, "aaaabbbbccccaaaa\n", "vault", "init");
        var init = await Run(host, env, MasterKey + "\n", "vault", "init", "--timeout", "10");
        var after = await Run(host, env, "", "vault", "status");
        var token = await host.AdminTokenAsync();
        var anonymous = await Run(host, new Dictionary<string, string> { ["LYNDRIX_MASTER_KEY"] = MasterKey }, "", "vault", "unseal");
        var unseal = await Run(host, new Dictionary<string, string> { ["LYNDRIX_MASTER_KEY"] = MasterKey, ["LYNDRIX_TOKEN"] = token }, "", "vault", "unseal");
        Assert.Multiple(() =>
        {
            Assert.That(before.ExitCode, Is.EqualTo(1));
            Assert.That(before.Out, Does.Contain("\"ui_state\": \"needs_init\""));
            Assert.That(weak.ExitCode, Is.EqualTo(1));
            Assert.That(weak.Error, Does.Contain("400").And.Contain("4 or more").And.Not.Contain("aaaabbbbccccaaaa"));
            Assert.That(init.ExitCode, Is.Zero, init.Error);
            Assert.That(init.Out, Does.Contain("done"));
            Assert.That(after.ExitCode, Is.Zero);
            Assert.That(after.Out, Does.Contain("\"ui_state\": \"ready\""));
            Assert.That(anonymous.ExitCode, Is.EqualTo(1));
            Assert.That(anonymous.Error, Does.Contain("401").And.Contain("LYNDRIX_TOKEN"));
            Assert.That(unseal.ExitCode, Is.EqualTo(1));
            Assert.That(unseal.Error, Does.Contain("already unsealed"));
        });
    }

    [Test]
    public async Task Unseal_waits_for_the_outcome_and_reports_a_wrong_key()
    {
        await using (var first = await HostHarness.StartAsync(HostEnvironment(_dir.Path, MasterKey)))
        {
            await first.WaitForStatusAsync(s => s.GetProperty("ui_state").GetString() == "ready", "ready");
        }

        await using var host = await HostHarness.StartAsync(HostEnvironment(_dir.Path, masterKey: null));
        await host.WaitForStatusAsync(s => s.GetProperty("ui_state").GetString() == "needs_unseal", "needs_unseal");
        var wrong = await Run(host, new Dictionary<string, string> { ["LYNDRIX_MASTER_KEY"] = "a strong but wrong key" }, "", "vault", "unseal");
        var right = await Run(host, new Dictionary<string, string> { ["LYNDRIX_MASTER_KEY"] = MasterKey }, "", "vault", "unseal");
        Assert.Multiple(() =>
        {
            Assert.That(wrong.ExitCode, Is.EqualTo(1));
            Assert.That(wrong.Error, Does.Contain("incorrect_key_or_tampered_file"));
            Assert.That(right.ExitCode, Is.Zero, right.Error);
        });
    }

    [Test]
    public async Task An_unreachable_host_and_a_missing_key_are_clear_errors()
    {
        var down = await CliRun.RunAsync(_dir.Path, new Dictionary<string, string>(), "", "vault", "status", "--url", "http://127.0.0.1:1");
        var noKey = await CliRun.RunAsync(_dir.Path, new Dictionary<string, string>(), "", "vault", "init", "--url", "http://127.0.0.1:1");
        var help = await CliRun.RunAsync(_dir.Path, new Dictionary<string, string>(), "", "vault", "--help");
        var badUrl = await CliRun.RunAsync(_dir.Path, new Dictionary<string, string>(), "", "vault", "status", "--url", "ftp://x");
        Assert.Multiple(() =>
        {
            Assert.That(down.ExitCode, Is.EqualTo(1));
            Assert.That(down.Error, Does.Contain("Cannot reach the host"));
            Assert.That(noKey.ExitCode, Is.EqualTo(2));
            Assert.That(noKey.Error, Does.Contain("LYNDRIX_MASTER_KEY"));
            Assert.That(help.Out, Does.Contain("never accepted on the command line"));
            Assert.That(badUrl.ExitCode, Is.EqualTo(2));
        });
    }
}
