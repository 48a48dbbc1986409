using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Lyndrix.VaultDouble;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Doctor;

/// <summary>The doctor against a host on the Vault API double: a sealed store, and a token whose policy lacks a capability.</summary>
public sealed class DoctorVaultTests
{
    private const string NoDeletePolicy = """
        path "lyndrix/data/*" { capabilities = ["create", "read", "update", "patch", "delete"] }
        path "lyndrix/metadata/*" { capabilities = ["read", "list"] }
        path "sys/internal/ui/mounts/lyndrix" { capabilities = ["read"] }
        """;

    private const string NoListPolicy = """
        path "lyndrix/data/*" { capabilities = ["create", "read", "update", "patch", "delete"] }
        path "lyndrix/metadata/*" { capabilities = ["read", "delete"] }
        path "sys/internal/ui/mounts/lyndrix" { capabilities = ["read"] }
        """;

    private TempDirectory _dir = null!;
    private VaultDoubleServer _vault = null!;

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory("lyndrix-doctor-vault");
        _vault = await VaultDoubleServer.StartAsync();
        _vault.InitializeAndUnseal();
        _vault.EnableKv("lyndrix");
    }

    [TearDown]
    public async Task TearDown()
    {
        await _vault.DisposeAsync();
        _dir.Dispose();
    }

    private Dictionary<string, string> Env(string token)
    {
        var env = HostEnvironment(_dir.Path, masterKey: null);
        env.Remove("LYNDRIX_MASTER_KEY");
        env["VAULT_URL"] = _vault.BaseAddress.ToString();
        env["VAULT_TOKEN"] = token;
        env["VAULT_TIMEOUT"] = "2";
        env["VAULT_MAX_RETRIES"] = "0";
        return env;
    }

    private static async Task<JsonElement> DoctorAsync(HostHarness host)
    {
        var token = await host.AdminTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/doctor");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await host.Http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static JsonElement Check(JsonElement report, string name) =>
        report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    [Test]
    public async Task A_token_whose_policy_lacks_delete_is_named_with_the_policy_line_that_grants_it()
    {
        _vault.PutPolicy("lyndrix-no-delete", NoDeletePolicy);
        await using var host = await HostHarness.StartAsync(Env(_vault.CreateToken(["default", "lyndrix-no-delete"], TimeSpan.FromHours(1))));
        await host.Get<Lyndrix.Core.Events.EventBus>().WaitForAsync(CoreTopics.SystemBootComplete, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        var report = await DoctorAsync(host);
        var access = Check(report, "secret_access");
        Assert.Multiple(() =>
        {
            Assert.That(report.GetProperty("exit_code").GetInt32(), Is.EqualTo(2), report.ToString());
            Assert.That(Check(report, "secret_store").GetProperty("status").GetString(), Is.EqualTo("ok"));
            Assert.That(access.GetProperty("status").GetString(), Is.EqualTo("fail"));
            Assert.That(access.GetProperty("message").GetString(), Does.Contain("may not delete").And.Contain("delete on lyndrix/metadata/"));
            Assert.That(access.GetProperty("fix").GetString(), Does.Contain("path \"lyndrix/metadata/*\" { capabilities = [\"read\", \"list\", \"delete\"] }"));
        });
    }

    [Test]
    public async Task A_token_whose_policy_lacks_list_is_named_with_the_policy_line_that_grants_it()
    {
        _vault.PutPolicy("lyndrix-no-list", NoListPolicy);
        await using var host = await HostHarness.StartAsync(Env(_vault.CreateToken(["default", "lyndrix-no-list"], TimeSpan.FromHours(1))));
        await host.Get<Lyndrix.Core.Events.EventBus>().WaitForAsync(CoreTopics.SystemBootComplete, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        var report = await DoctorAsync(host);
        var access = Check(report, "secret_access");
        Assert.Multiple(() =>
        {
            Assert.That(report.GetProperty("exit_code").GetInt32(), Is.EqualTo(2), report.ToString());
            Assert.That(access.GetProperty("status").GetString(), Is.EqualTo("fail"));
            Assert.That(access.GetProperty("message").GetString(), Does.Contain("may not list").And.Contain("list on lyndrix/metadata/core/"));
            Assert.That(access.GetProperty("fix").GetString(), Does.Contain("path \"lyndrix/metadata/*\" { capabilities = [\"read\", \"list\", \"delete\"] }"));
        });
    }

    [Test]
    public async Task A_token_without_the_mount_fails_the_mount_check_offline_with_the_policy_lines_to_add()
    {
        var env = Env(_vault.CreateToken(["default"], TimeSpan.FromHours(1)));
        env["LYNDRIX_BOOT_STEP_TIMEOUT"] = "5";
        var output = new StringWriter();
        var context = new Lyndrix.Core.Cli.CliContext(new StringReader(""), output, output, Lyndrix.Core.Configuration.EnvironmentConfigSource.FromValues(env), _dir.Path);
        var code = await Lyndrix.Core.Cli.LyndrixCli.RunAsync(["doctor", "--offline", "--wait", "8"], context);
        var text = output.ToString();
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2), text);
            Assert.That(text, Does.Match(@"(?m)^OK\s+secret_store\s"));
            Assert.That(text, Does.Match(@"(?m)^FAIL\s+secret_mount\s+The secret store did not open"));
            Assert.That(text, Does.Contain("sys/internal/ui/mounts/lyndrix").And.Contain("path \"lyndrix/data/*\""));
            Assert.That(text, Does.Not.Contain(env["VAULT_TOKEN"]));
        });
    }

    [Test]
    public async Task A_sealed_store_fails_the_secret_store_check_with_how_to_unseal()
    {
        await using var host = await HostHarness.StartAsync(Env(_vault.CreateToken(["root"], TimeSpan.FromHours(1))));
        await host.Get<Lyndrix.Core.Events.EventBus>().WaitForAsync(CoreTopics.SystemBootComplete, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var token = await host.AdminTokenAsync();
        _vault.Seal();

        using var request = new HttpRequestMessage(HttpMethod.Post, "api/doctor");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await host.Http.SendAsync(request);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        var store = Check(report, "secret_store");
        Assert.Multiple(() =>
        {
            Assert.That(report.GetProperty("exit_code").GetInt32(), Is.EqualTo(2), report.ToString());
            Assert.That(store.GetProperty("status").GetString(), Is.EqualTo("fail"));
            Assert.That(store.GetProperty("message").GetString(), Does.Contain("sealed"));
            Assert.That(store.GetProperty("fix").GetString(), Does.Contain("lyndrix vault unseal"));
            Assert.That(Check(report, "secret_access").GetProperty("status").GetString(), Is.EqualTo("skipped"));
        });
    }
}
