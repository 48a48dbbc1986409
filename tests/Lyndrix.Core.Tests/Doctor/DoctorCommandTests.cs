using System.Text.Json;
using Lyndrix.Core.Cli;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Doctor;

/// <summary><c>lyndrix doctor</c> against a real host on the embedded defaults (API mode) and against a deployment folder with no
/// host running (<c>--offline</c>).</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class DoctorCommandTests
{
    private const string AdminPassword = "Adm1n-Passw0rd-for-tests";

    private static readonly (string, string)[] Env =
    [
        ("LYNDRIX_ADMIN_PASSWORD", AdminPassword), ("LYNDRIX_BOT_PASSWORD", "B0t-Passw0rd-for-tests"),
        ("LYNDRIX_LOGIN_MAX_FAILURES_PER_USER", "50"), ("LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT", "50"),
    ];

    [Test]
    public async Task A_healthy_deployment_passes_every_check_and_exits_0()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        var (code, output) = await CliAsync(host, token, AdminPassword, "doctor", "--login", "admin", "--password-env", "DOCTOR_PW");

        Assert.That(code, Is.Zero, output);
        foreach (var check in new[] { "secret_store", "secret_mount", "secret_access", "database", "database_schema", "login:local", "plugins", "plugin_accounts", "audit_trail" })
        {
            Assert.That(output, Does.Match($@"(?m)^OK\s+{check}\s"), check);
        }

        Assert.That(output, Does.Not.Contain(AdminPassword));
        Assert.That(output, Does.Contain("healthy (exit code 0)"));
    }

    [Test]
    public async Task A_provider_that_refuses_the_test_login_fails_the_run_with_exit_2_and_json_says_why()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        var (code, output) = await CliAsync(host, token, "not-the-password", "doctor", "--json", "--login", "admin", "--password-env", "DOCTOR_PW");

        Assert.That(code, Is.EqualTo(2), output);
        using var json = JsonDocument.Parse(output);
        var login = json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "login:local");
        Assert.Multiple(() =>
        {
            Assert.That(json.RootElement.GetProperty("status").GetString(), Is.EqualTo("failed"));
            Assert.That(json.RootElement.GetProperty("exit_code").GetInt32(), Is.EqualTo(2));
            Assert.That(login.GetProperty("status").GetString(), Is.EqualTo("fail"));
            Assert.That(login.GetProperty("message").GetString(), Does.Contain("refused the test login"));
            Assert.That(output, Does.Not.Contain("not-the-password"));
        });
    }

    [Test]
    public async Task Without_a_login_the_login_checks_are_skipped_with_the_reason()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        var (code, output) = await CliAsync(host, token, null, "doctor");
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Match(@"(?m)^SKIPPED\s+login:local\s+No test login: pass --login USER"));
    }

    [Test]
    public async Task The_doctor_endpoint_is_for_administrators_and_the_cli_says_so()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var bot = await host.LoginAsync("bot", "B0t-Passw0rd-for-tests");
        var (code, output) = await CliAsync(host, bot, null, "doctor");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain("for administrators"));
    }

    [Test]
    public async Task With_no_host_running_it_exits_2_and_points_to_offline()
    {
        var output = new StringWriter();
        var context = new CliContext(new StringReader(""), output, output, EnvironmentConfigSource.FromValues(new Dictionary<string, string>()), Directory.GetCurrentDirectory());
        var code = await LyndrixCli.RunAsync(["doctor", "--url", "http://127.0.0.1:9"], context);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output.ToString(), Does.Contain("--offline"));
    }

    [Test]
    public async Task Offline_it_boots_the_deployment_in_process_checks_it_and_a_wrong_master_key_fails_with_what_to_do()
    {
        using var dir = new TempDirectory("lyndrix-doctor");
        var env = new Dictionary<string, string>
        {
            ["PORT"] = "0", ["STORAGE_DIR"] = Path.Combine(dir.Path, "storage"), ["SECURITY_DIR"] = Path.Combine(dir.Path, "security"),
            ["PLUGINS_DIR"] = Path.Combine(dir.Path, "plugins"), ["LOGS_DIR"] = Path.Combine(dir.Path, "logs"),
            ["LYNDRIX_ADMIN_PASSWORD"] = AdminPassword, ["LYNDRIX_BOT_PASSWORD"] = "B0t-Passw0rd-for-tests",
            ["LYNDRIX_MASTER_KEY"] = "the-first-master-key-2026", ["LYNDRIX_ARGON_TIME"] = "1", ["LYNDRIX_ARGON_MEM"] = "64", ["LYNDRIX_ARGON_PARALLEL"] = "1",
            ["LYNDRIX_BOOT_STEP_TIMEOUT"] = "10", ["DOCTOR_PW"] = AdminPassword,
        };

        var (healthy, first) = await OfflineAsync(env, "doctor", "--offline", "--login", "admin", "--password-env", "DOCTOR_PW");
        Assert.That(healthy, Is.Zero, first);
        Assert.That(first, Does.Match(@"(?m)^OK\s+master_key\s"));
        Assert.That(first, Does.Match(@"(?m)^OK\s+login:local\s"));

        env["LYNDRIX_MASTER_KEY"] = "a-different-master-key-99";
        var (failed, second) = await OfflineAsync(env, "doctor", "--offline", "--wait", "3");
        Assert.Multiple(() =>
        {
            Assert.That(failed, Is.EqualTo(2), second);
            Assert.That(second, Does.Match(@"(?m)^FAIL\s+master_key\s+The master key does not decrypt vault_keys.enc"));
            Assert.That(second, Does.Contain("fix: Set LYNDRIX_MASTER_KEY"));
            Assert.That(second, Does.Not.Contain("a-different-master-key-99"));
        });
    }

    private static async Task<(int Code, string Output)> OfflineAsync(Dictionary<string, string> env, params string[] args)
    {
        var output = new StringWriter();
        var context = new CliContext(new StringReader(""), output, output, EnvironmentConfigSource.FromValues(env), Directory.GetCurrentDirectory());
        var code = await LyndrixCli.RunAsync(args, context);
        return (code, output.ToString());
    }

    private static async Task<(int Code, string Output)> CliAsync(AuthHost host, string token, string? password, params string[] args)
    {
        var output = new StringWriter();
        var values = new Dictionary<string, string> { ["LYNDRIX_TOKEN"] = token };
        if (password is not null)
        {
            values["DOCTOR_PW"] = password;
        }

        var context = new CliContext(new StringReader(""), output, new StringWriter(), EnvironmentConfigSource.FromValues(values), Directory.GetCurrentDirectory());
        var code = await LyndrixCli.RunAsync([.. args, "--url", host.Client.BaseAddress!.AbsoluteUri], context);
        return (code, output.ToString() + context.Error);
    }
}
