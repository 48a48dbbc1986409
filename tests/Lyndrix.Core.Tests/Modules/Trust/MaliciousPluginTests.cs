using System.Net;
using System.Net.Http.Json;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Modules.Trust;

/// <summary>
/// The Attacker fixture (tests/plugins/Attacker) dropped into the real host, started as its own process with host secrets
/// in its environment and one read from a file: every escape it tries must fail, and 'local' keeps refusing wrong passwords.
/// </summary>
[TestFixture]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MaliciousPluginTests
{
    private static readonly string[] RequiredChecks =
    [
        "cast_list", "ilist_add", "forged_manifest_subscribe", "forged_manifest_emit_core", "emit_foreign_domain", "public_register_local",
        "secret_path_escape", "context_fields_seen", "ports_tried", "environment", "proc_self_environ",
    ];

    [Test]
    public async Task A_malicious_plugin_in_the_real_host_reaches_no_secret_no_foreign_capability_and_cannot_replace_local()
    {
        await PluginFixtures.EnsureBuiltAsync();
        using var dir = new TempDirectory("lyndrix-attack");
        PluginFixtures.CopyDirectory(PluginFixtures.Published("Attacker"), Path.Combine(dir.Sub("plugins"), "attacker"));
        var report = dir.File("report.txt");
        var marker = "Mk-" + Guid.NewGuid().ToString("N");
        var adminPasswordFile = dir.File("admin-password");
        File.WriteAllText(adminPasswordFile, "Adm1n-" + marker + "\n");
        File.SetUnixFileMode(adminPasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var port = HostProcess.FreePort();
        await using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["ENV_TYPE"] = "dev",
            ["STORAGE_DIR"] = dir.Sub("storage"),
            ["SECURITY_DIR"] = dir.Sub("security"),
            ["LOGS_DIR"] = dir.Sub("logs"),
            ["PLUGINS_DIR"] = dir.Sub("plugins"),
            ["LYNDRIX_MASTER_KEY"] = "Master-" + marker,
            ["DB_PASSWORD"] = "Db-" + marker,
            ["LYNDRIX_BOT_PASSWORD"] = "Bot-" + marker,
            ["LYNDRIX_TOKEN"] = "Tok-" + marker,
            ["LYNDRIX_ADMIN_PASSWORD_FILE"] = adminPasswordFile,
            ["LYNDRIX_PLUGIN_TEST_ATTACKER_REPORT"] = report,
        }, port, dir.Path);
        await host.WaitForBootAsync(TimeSpan.FromSeconds(90));

        Assert.That(File.Exists(report), Is.True, "the attacker ran its setup\n" + host.Output);
        var lines = File.ReadAllLines(report);
        Assert.Multiple(() =>
        {
            foreach (var check in RequiredChecks)
            {
                Assert.That(lines, Has.Some.StartWith($"CHECK {check}: "), $"the attacker tried {check}");
            }

            Assert.That(lines.Where(l => l.Contains("_emit_core:", StringComparison.Ordinal) && l.StartsWith("CHECK port_", StringComparison.Ordinal)), Is.Not.Empty,
                "the attacker found the event capability by reflection and tried to emit as the core through it");
            Assert.That(lines.Where(l => l.Contains("_register_local:", StringComparison.Ordinal)), Is.Not.Empty,
                "the attacker found the provider capability by reflection and tried to register 'local' through it");
            Assert.That(lines.Where(l => l.Contains(": LEAK ", StringComparison.Ordinal)), Is.Empty, "no escape worked:\n" + string.Join("\n", lines));
        });

        // 'local' is still the core's: a wrong password fails, the password read from the _FILE works.
        var wrong = await host.Http.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "anything-at-all" });
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), await wrong.Content.ReadAsStringAsync());
        var right = await host.Http.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "Adm1n-" + marker });
        Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.OK), "LYNDRIX_ADMIN_PASSWORD_FILE was read\n" + host.Output);

        // The forged maintenance event never reached the bus.
        var health = await host.Http.GetStringAsync("/api/health");
        Assert.That(health, Does.Not.Contain("attacker"));
        Assert.That(host.Output, Does.Not.Contain(marker), "no secret value in the host's output");
    }
}
