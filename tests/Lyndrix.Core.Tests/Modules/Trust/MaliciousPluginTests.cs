using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lyndrix.Core.Tests.Modules.Isolation;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Modules.Trust;

/// <summary>
/// The Attacker fixture (tests/plugins/Attacker) dropped into the real host, started as its own process with host secrets
/// in its environment and one read from a file: every escape it tries must fail, and 'local' keeps refusing wrong passwords.
/// Isolated under a plugin account, a second plugin (a Probe, the victim) runs in its own process of the same account: the
/// attacker must reach nothing of it through /proc (channel, environment, memory, working directory), nor its secret.
/// </summary>
[TestFixture]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MaliciousPluginTests
{
    private static readonly string[] RequiredChecks =
    [
        "cast_list", "ilist_add", "forged_manifest_subscribe", "forged_manifest_emit_core", "emit_foreign_domain", "public_register_local",
        "secret_path_escape", "context_fields_seen", "ports_tried", "environment", "proc_self_environ", "parent_environ",
    ];

    /// <summary>What the attacker tries against the victim's process when both run as the plugin account.</summary>
    private static readonly string[] PeerChecks =
        ["proc_peers", "proc_peer_fd0", "proc_peer_fd1", "proc_peer_environ", "proc_peer_mem", "proc_peer_cwd", "proc_peer_secret", "proc_peer_diagnostics",
         "proc_peer_channel"];

    private const string VictimId = "test.victim";

    [TestCase("inprocess")]
    [TestCase("process")]
    [TestCase("process-user")]
    public async Task A_malicious_plugin_in_the_real_host_reaches_no_secret_no_foreign_capability_and_cannot_replace_local(string mode)
    {
        var isolation = mode == "inprocess" ? "inprocess" : "process";
        var asUser = mode == "process-user";
        if (asUser)
        {
            await TestPluginAccount.EnsureAsync();
        }

        await PluginFixtures.EnsureBuiltAsync();
        using var dir = new TempDirectory("lyndrix-attack");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        PluginFixtures.CopyDirectory(PluginFixtures.Published("Attacker"), Path.Combine(dir.Sub("plugins"), "attacker"));
        if (asUser)
        {
            // The victim: its own process of the same account, with a secret set in its setup. The attacker depends on it,
            // so it attacks while the victim is up (its setup done, its secret stored).
            var victimDir = Path.Combine(dir.Sub("plugins"), "victim");
            PluginFixtures.CopyDirectory(PluginFixtures.Published("Probe"), victimDir);
            var victimManifest = ProbeManifest.Create(VictimId, new Dictionary<string, string> { ["secret_key"] = "token", ["secret_value"] = "unset" });
            File.WriteAllText(Path.Combine(victimDir, "plugin.json"), victimManifest.ToJsonString());
            var attackerManifestPath = Path.Combine(dir.Sub("plugins"), "attacker", "plugin.json");
            var attackerManifest = JsonNode.Parse(File.ReadAllText(attackerManifestPath))!.AsObject();
            attackerManifest["dependencies"] = new JsonArray(new JsonObject { ["id"] = VictimId, ["version"] = "*" });
            File.WriteAllText(attackerManifestPath, attackerManifest.ToJsonString());
        }

        var outDir = dir.Sub("out");
        File.SetUnixFileMode(outDir, (UnixFileMode)0b111_111_111);
        var report = Path.Combine(outDir, "report.txt");
        var (security, storage, logs) = (dir.Sub("security"), dir.Sub("storage"), dir.Sub("logs"));
        string[] hostFiles = [Path.Combine(security, "vault_keys.enc"), Path.Combine(security, "embedded_secrets.db"), Path.Combine(storage, "lyndrix.db"), Path.Combine(logs, "lyndrix.log")];
        var marker = "Mk-" + Guid.NewGuid().ToString("N");
        var adminPasswordFile = dir.File("admin-password");
        File.WriteAllText(adminPasswordFile, "Adm1n-" + marker + "\n");
        File.SetUnixFileMode(adminPasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var executable = asUser ? TestPluginAccount.ReachableExecutable(dir.Path) : HostProcess.Executable;

        var port = HostProcess.FreePort();
        await using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["ENV_TYPE"] = "dev",
            ["STORAGE_DIR"] = storage,
            ["SECURITY_DIR"] = security,
            ["LOGS_DIR"] = logs,
            ["PLUGINS_DIR"] = dir.Sub("plugins"),
            ["LYNDRIX_MASTER_KEY"] = "Master-" + marker,
            ["DB_PASSWORD"] = "Db-" + marker,
            ["LYNDRIX_BOT_PASSWORD"] = "Bot-" + marker,
            ["LYNDRIX_TOKEN"] = "Tok-" + marker,
            ["LYNDRIX_ADMIN_PASSWORD_FILE"] = adminPasswordFile,
            ["LYNDRIX_PLUGIN_TEST_ATTACKER_REPORT"] = report,
            ["LYNDRIX_PLUGIN_TEST_ATTACKER_PROBE_PATHS"] = string.Join(';', [security, logs, .. hostFiles]),
            ["LYNDRIX_PLUGIN_ISOLATION"] = isolation,
            ["LYNDRIX_PLUGIN_USER"] = asUser ? TestPluginAccount.Name : "",
            ["LYNDRIX_PLUGIN_TEST_ATTACKER_VICTIM"] = asUser ? VictimId : "",
            ["LYNDRIX_PLUGIN_TEST_ATTACKER_VICTIM_SECRET_KEY"] = "token",
            ["LYNDRIX_PLUGIN_TEST_ATTACKER_VICTIM_SECRET_PREFIX"] = "Victim-",
            ["LYNDRIX_PLUGIN_TEST_VICTIM_SECRET_VALUE"] = "Victim-" + marker,
        }, port, dir.Path, executable);
        await host.WaitForBootAsync(TimeSpan.FromSeconds(90));

        Assert.That(File.Exists(report), Is.True, "the attacker ran its setup\n" + host.Output);
        var lines = File.ReadAllLines(report);
        Assert.Multiple(() =>
        {
            foreach (var check in asUser ? [.. RequiredChecks, .. PeerChecks] : RequiredChecks)
            {
                Assert.That(lines, Has.Some.StartWith($"CHECK {check}: "), $"the attacker tried {check}");
            }

            if (isolation == "inprocess")
            {
                Assert.That(lines.Where(l => l.Contains("_emit_core:", StringComparison.Ordinal) && l.StartsWith("CHECK port_", StringComparison.Ordinal)), Is.Not.Empty,
                    "the attacker found the event capability by reflection and tried to emit as the core through it");
                Assert.That(lines.Where(l => l.Contains("_register_local:", StringComparison.Ordinal)), Is.Not.Empty,
                    "the attacker found the provider capability by reflection and tried to register 'local' through it");
            }
            else
            {
                Assert.That(lines.Where(l => l.StartsWith("CHECK field_", StringComparison.Ordinal)), Has.None.Contain("Lyndrix.Core.Modules.Module"),
                    "in the child, the context holds nothing of the host's, only the channel");
                Assert.That(lines, Has.Some.StartWith("CHECK parent_environ: ok"));
            }
            Assert.That(lines.Where(l => l.StartsWith("CHECK ", StringComparison.Ordinal) && !l.Contains(": ok ", StringComparison.Ordinal)), Is.Empty,
                "no escape worked:\n" + string.Join("\n", lines));
            Assert.That(lines, Has.None.Contain("Victim-" + marker), "the victim's secret never reached the attacker");

            // The host's files: out of reach only when the child runs as another account; readable otherwise (what the
            // README says: without LYNDRIX_PLUGIN_USER the child reads what the host's account can, /proc/<host>/mem included).
            var files = lines.Where(l => l.StartsWith("FILE ", StringComparison.Ordinal)).ToList();
            Assert.That(files, Has.Count.EqualTo(hostFiles.Length + 3), "every path was tried, the host's memory map included");
            foreach (var file in hostFiles)
            {
                Assert.That(File.Exists(file), Is.True, $"{file} exists, so a refusal is a refusal");
                Assert.That(files, Has.Some.StartWith($"FILE {file}: " + (asUser ? "denied UnauthorizedAccessException" : "read ")));
            }

            Assert.That(files.Where(l => l.Contains("/maps: ", StringComparison.Ordinal)), Has.All.Contain(asUser ? "denied" : "read "));
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
        if (asUser)
        {
            // The process the attacker went for was the victim's own, alive and serving it when attacked.
            var token = (await right.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
            host.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var victim = await host.Http.GetFromJsonAsync<JsonElement>($"/api/plugins/{VictimId}");
            Assert.That(victim.GetProperty("state").GetString(), Is.EqualTo("active"), victim.ToString());
            var peers = lines.Single(l => l.StartsWith("PEERS: ", StringComparison.Ordinal))["PEERS: ".Length..].Split(',');
            Assert.That(peers, Does.Contain(victim.GetProperty("process_id").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture)),
                "the attacker found the victim's process among its account's plugin-host processes");
        }
    }
}
