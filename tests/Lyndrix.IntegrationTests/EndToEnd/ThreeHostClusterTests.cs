using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Web;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;
using Lyndrix.VaultDouble;

namespace Lyndrix.IntegrationTests.EndToEnd;

/// <summary>
/// Three whole <c>lyndrix</c> host processes (A, B, C) on a real three-node Galera cluster (127.0.0.1-3, every host given all
/// three nodes in <c>DB_HOST</c>), one empty Vault double and one shared <c>SECURITY_DIR</c>, as an operator runs them behind a
/// load balancer: they boot together, and what a request needs on another host is there. The hosts are started once for the
/// fixture; the tests run in order, the node kill last.
/// </summary>
[Category("EndToEnd")]
[NonParallelizable]
public sealed class ThreeHostClusterTests
{
    private const string DbUser = "lyndrix_e2e";
    private const string Database = "lyndrix_e2e";
    private const string PluginId = "lyndrix.sample.hello";
    private static readonly string AdminPassword = "E2e-Adm1n-" + Guid.NewGuid().ToString("N")[..10];
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);

    private readonly List<IAsyncDisposable> _cleanup = [];
    private TempDirectory _root = null!;
    private GaleraCluster _cluster = null!;
    private VaultDoubleServer _vault = null!;
    private HostProcess[] _hosts = null!;
    private string[] _adminTokens = null!;

    private HostProcess A => _hosts[0];
    private HostProcess B => _hosts[1];
    private HostProcess C => _hosts[2];

    private static string Name(int host) => "web-" + (char)('a' + host);

    [OneTimeSetUp]
    public async Task StartClusterAndHosts()
    {
        _root = new TempDirectory("lyndrix-three-hosts");
        _cluster = await GaleraCluster.StartAsync(3);
        _cleanup.Add(_cluster);
        var dbPassword = "E2e-Db-" + Guid.NewGuid().ToString("N")[..12];
        await _cluster.ExecuteAsync(0, $"CREATE DATABASE `{Database}` CHARACTER SET utf8mb4");
        await _cluster.ExecuteAsync(0, $"CREATE USER '{DbUser}'@'127.0.0.%' IDENTIFIED BY '{dbPassword}'");
        await _cluster.ExecuteAsync(0, $"GRANT ALL PRIVILEGES ON `{Database}`.* TO '{DbUser}'@'127.0.0.%'");
        await _cluster.WaitUntilUsableEverywhereAsync(DbUser, dbPassword, Database, TimeSpan.FromSeconds(30));

        _vault = await VaultDoubleServer.StartAsync();
        _cleanup.Add(_vault);
        // Vault takes its time to initialize (as a real one does while it writes its keyring), so hosts that start together
        // find it uninitialized at once and race.
        _vault.Faults.Add(VaultFault.Latency(TimeSpan.FromSeconds(8)), times: 3, method: "PUT", pathPrefix: "sys/init");

        // The provider registers A's callback before any host starts, so A's port is chosen first.
        var ports = Enumerable.Range(0, 3).Select(_ => LoopbackPort.Free()).ToArray();
        var callback = new Uri($"http://127.0.0.1:{ports[0]}/auth/callback/oidc");
        var provider = await OidcProviderServer.StartAsync(callback);
        _cleanup.Add(provider);

        var plugin = Path.Combine(AppContext.BaseDirectory, "console-plugins", "hello");
        var shared = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ENV_TYPE"] = "production",
            ["LOG_LEVEL"] = "INFO",
            ["SECURITY_DIR"] = _root.Sub("security"),
            ["VAULT_URL"] = _vault.BaseAddress.ToString(),
            ["LYNDRIX_MASTER_KEY"] = "e2e-master-" + Guid.NewGuid().ToString("N"),
            ["LYNDRIX_ARGON_TIME"] = "1",
            ["LYNDRIX_ARGON_MEM"] = "8192",
            ["DB_HOST"] = _cluster.Hosts,
            ["DB_PORT"] = _cluster.Port.ToString(CultureInfo.InvariantCulture),
            ["DB_USER"] = DbUser,
            ["DB_PASSWORD"] = dbPassword,
            ["DB_NAME"] = Database,
            ["LYNDRIX_ADMIN_PASSWORD"] = AdminPassword,
            ["LYNDRIX_BOT_PASSWORD"] = "E2e-B0t-" + Guid.NewGuid().ToString("N")[..10],
            ["LYNDRIX_PLUGIN_TRUST"] = "any",
            ["LYNDRIX_PLUGIN_SYNC_INTERVAL"] = "1",
            ["LYNDRIX_AUTH_PROVIDERS"] = "local,oidc",
            ["LYNDRIX_OIDC_ISSUER"] = provider.Issuer,
            ["LYNDRIX_OIDC_CLIENT_ID"] = "lyndrix-basic",
            ["LYNDRIX_OIDC_CLIENT_SECRET"] = provider.ClientSecret,
            ["LYNDRIX_OIDC_REDIRECT_URI"] = callback.AbsoluteUri,
            ["LYNDRIX_OIDC_ADMIN_GROUPS"] = OidcProviderServer.AdminGroup,
        };

        // All three at once: they race for the migrations and for Vault's initialization.
        _hosts = new HostProcess[3];
        for (var i = 0; i < 3; i++)
        {
            var own = _root.Sub(Name(i));
            CopyDirectory(plugin, Path.Combine(own, "plugins", "hello"));
            var environment = new Dictionary<string, string>(shared, StringComparer.Ordinal)
            {
                ["LYNDRIX_INSTANCE_ID"] = Name(i),
                ["STORAGE_DIR"] = Path.Combine(own, "storage"),
                ["LOGS_DIR"] = Path.Combine(own, "logs"),
                ["PLUGINS_DIR"] = Path.Combine(own, "plugins"),
            };
            _hosts[i] = HostProcess.Start(environment, ports[i], own);
            _cleanup.Add(_hosts[i]);
        }

        await Task.WhenAll(_hosts.Select(h => h.WaitUntilHealthyAsync(BootTimeout)));
        _adminTokens = await Task.WhenAll(_hosts.Select(h => LoginAsync(h, "admin-setup")));
    }

    [OneTimeTearDown]
    public async Task StopAll()
    {
        foreach (var item in Enumerable.Reverse(_cleanup))
        {
            await item.DisposeAsync();
        }

        _root.Dispose();
    }

    [Test]
    [Order(1)]
    public async Task Booting_together_they_apply_each_migration_once_and_one_of_them_initializes_vault_for_all()
    {
        var applied = _hosts.Sum(h => Lines(h, "Database: applying migration core #"));
        Assert.That(applied, Is.EqualTo(CoreSchema.Migrations.Count), string.Join("\n----\n", _hosts.Select(h => h.Output)));
        for (var node = 0; node < 3; node++)
        {
            Assert.That(await _cluster.ScalarAsync<int>(node, "SELECT COUNT(*) FROM `schema_migrations` WHERE `owner` = 'core'", Database),
                Is.EqualTo(CoreSchema.Migrations.Count), $"node {node + 1}");
        }

        var inits = _vault.Requests.To("sys/init").Where(r => r.Method is "PUT" or "POST").ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(inits, Has.Length.GreaterThanOrEqualTo(2), "at least two hosts raced to initialize");
            Assert.That(inits.Count(r => r.StatusCode == 200), Is.EqualTo(1), "Vault accepted one initialization");
            Assert.That(_hosts.Count(h => Lines(h, "another host initialized") > 0), Is.EqualTo(inits.Length - 1),
                "each host that lost the race opened with the winner's key file");
            Assert.That(_hosts.Count(h => Lines(h, "Secret store: initialized; key file written") > 0), Is.EqualTo(1), "one host wrote the key file");
            Assert.That(Directory.GetFiles(_root.Sub("security"), "vault_keys.enc*"), Has.Length.EqualTo(1));
            Assert.That(_vault.IsInitialized && !_vault.IsSealed, Is.True);
        });
        TestContext.Out.WriteLine($"{inits.Length} host(s) raced to PUT sys/init; answers {string.Join(", ", inits.Select(r => r.StatusCode))}");

        for (var i = 0; i < 3; i++)
        {
            var health = await _hosts[i].Http.GetFromJsonAsync<JsonElement>("/api/health");
            Assert.That(health.GetProperty("status").GetString(), Is.EqualTo("ok"));
            Assert.That(health.GetProperty("instance").GetString(), Is.EqualTo(Name(i)), "each host says which it is");
        }
    }

    [Test]
    [Order(2)]
    public async Task A_token_issued_by_A_works_on_B_and_C_and_a_logout_on_B_is_refused_on_A_within_one_second()
    {
        var token = await LoginAsync(A, "token-travels");
        foreach (var host in new[] { A, B, C })
        {
            Assert.That(await StatusAsync(host, HttpMethod.Get, "/api/auth/me", token), Is.EqualTo(HttpStatusCode.OK), host.BaseAddress.ToString());
        }

        // A has just validated the token (its cache holds it); B logs it out.
        Assert.That(await StatusAsync(B, HttpMethod.Post, "/api/auth/logout", token), Is.EqualTo(HttpStatusCode.NoContent));
        var loggedOut = Stopwatch.StartNew();
        var firstRefusal = TimeSpan.Zero;
        while (loggedOut.Elapsed < TimeSpan.FromSeconds(1))
        {
            if (await StatusAsync(A, HttpMethod.Get, "/api/auth/me", token) == HttpStatusCode.Unauthorized)
            {
                firstRefusal = loggedOut.Elapsed;
                break;
            }

            await Task.Delay(20);
        }

        var rest = TimeSpan.FromSeconds(1) - loggedOut.Elapsed;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest);
        }

        foreach (var host in new[] { A, B, C })
        {
            Assert.That(await StatusAsync(host, HttpMethod.Get, "/api/auth/me", token), Is.EqualTo(HttpStatusCode.Unauthorized),
                $"{host.BaseAddress} one second after the logout on B");
        }

        TestContext.Out.WriteLine(firstRefusal == TimeSpan.Zero
            ? "A first refused the token at the one-second mark"
            : $"A first refused the token {firstRefusal.TotalMilliseconds:0} ms after B's logout answered");
    }

    [Test]
    [Order(3)]
    public async Task A_hand_off_code_issued_by_A_is_redeemed_on_C_once()
    {
        using var browser = new BrowserSession();
        var callbackUrl = await browser.ThroughProviderAsync(A.BaseAddress, OidcProviderServer.AdminUser, OidcProviderServer.AdminPassword);
        Assert.That(callbackUrl.Port, Is.EqualTo(A.BaseAddress.Port));
        using var callback = await browser.Http.GetAsync(callbackUrl);
        Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await callback.Content.ReadAsStringAsync() + "\n" + A.Output);
        var code = HttpUtility.ParseQueryString(new Uri(A.BaseAddress, callback.Headers.Location!).Query)["code"];
        Assert.That(code, Is.Not.Null.And.Not.Empty);

        using var exchange = await C.Http.PostAsJsonAsync("/api/auth/token-exchange", new { code });
        var body = await exchange.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(exchange.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("token").GetString());
        using var meResponse = await C.Http.SendAsync(me);
        Assert.That((await meResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("username").GetString(), Is.EqualTo(OidcProviderServer.AdminUser));

        foreach (var host in new[] { A, B, C })
        {
            using var again = await host.Http.PostAsJsonAsync("/api/auth/token-exchange", new { code });
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), $"{host.BaseAddress}: a code is good once, on any host");
        }
    }

    [Test]
    [Order(4)]
    public async Task A_plugin_disabled_through_A_is_disabled_on_B_and_C_and_enabled_again_the_same_way()
    {
        foreach (var i in new[] { 0, 1, 2 })
        {
            Assert.That((await PluginAsync(i)).GetProperty("state").GetString(), Is.EqualTo("active"), Name(i));
        }

        Assert.That(await StatusAsync(A, HttpMethod.Post, $"/api/plugins/{PluginId}/disable", _adminTokens[0]), Is.EqualTo(HttpStatusCode.OK));
        // LYNDRIX_PLUGIN_SYNC_INTERVAL=1: each host follows within a second of its next look.
        var followed = Stopwatch.StartNew();
        await UntilAsync(async () => (await PluginAsync(2)).GetProperty("state").GetString() == "disabled", "C disables it");
        var onC = followed.Elapsed;
        await UntilAsync(async () => (await PluginAsync(1)).GetProperty("state").GetString() == "disabled", "B disables it");
        Assert.That((await PluginAsync(2)).GetProperty("enabled").GetBoolean(), Is.False);

        Assert.That(await StatusAsync(C, HttpMethod.Post, $"/api/plugins/{PluginId}/enable", _adminTokens[2]), Is.EqualTo(HttpStatusCode.OK));
        await UntilAsync(async () => (await PluginAsync(0)).GetProperty("state").GetString() == "active", "A enables it again");
        TestContext.Out.WriteLine($"C disabled the plugin {onC.TotalMilliseconds:0} ms after A's answer");
    }

    [Test]
    [Order(5)]
    public async Task A_galera_node_killed_during_a_secret_and_database_workload_loses_no_acknowledged_write_and_every_host_is_healthy_again()
    {
        const int Killed = 2;
        var acknowledged = new ConcurrentDictionary<string, bool>();
        var unanswered = new ConcurrentDictionary<string, string>();
        var pins = new ConcurrentDictionary<string, bool>();
        var pinsUnanswered = new ConcurrentDictionary<string, string>();
        var whileDown = new int[3];
        var killedAt = long.MaxValue;
        var restartedAt = long.MaxValue;
        using var stop = new CancellationTokenSource();

        // Each host: a sign-in (a new session row: a database write that is not idempotent) and a trust pin (a secret write),
        // over and over; what the host acknowledged (2xx) is remembered, and what got no clear answer.
        async Task WriteAsync(int host, ConcurrentDictionary<string, bool> done, ConcurrentDictionary<string, string> failed, string label,
            Func<Task<HttpResponseMessage>> send)
        {
            var started = Stopwatch.GetTimestamp();
            if (await Record(done, failed, label, send) && started > Interlocked.Read(ref killedAt) &&
                Stopwatch.GetTimestamp() < Interlocked.Read(ref restartedAt))
            {
                Interlocked.Increment(ref whileDown[host]);
            }
        }

        async Task WorkAsync(int host)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var label = $"load{host}-{i}";
                await WriteAsync(host, acknowledged, unanswered, label, () => _hosts[host].Http.PostAsJsonAsync("/api/auth/login",
                    new { username = "admin", password = AdminPassword, label }));
                await WriteAsync(host, pins, pinsUnanswered, label, () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Put, $"/api/plugin-trust/{label}")
                    {
                        Content = JsonContent.Create(new { version = "1.0.0", files = new[] { new { path = "a.dll", size = 1, sha256 = new string('0', 64) } } }),
                    };
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _adminTokens[host]);
                    return _hosts[host].Http.SendAsync(request);
                });
            }
        }

        var workload = Enumerable.Range(0, 3).Select(h => Task.Run(() => WorkAsync(h))).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(4));
        Interlocked.Exchange(ref killedAt, Stopwatch.GetTimestamp());
        await _cluster.KillAsync(Killed);
        await Task.Delay(TimeSpan.FromSeconds(15));
        Interlocked.Exchange(ref restartedAt, Stopwatch.GetTimestamp());
        await _cluster.RestartAsync(Killed);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        await Task.WhenAll(workload);

        Assert.That(whileDown, Is.All.GreaterThanOrEqualTo(1), "every host had writes begun and acknowledged while the node was gone");
        foreach (var host in _hosts)
        {
            await host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        }

        // Sessions: every node, the restarted one too, holds every acknowledged sign-in; anything more can only be a sign-in
        // whose answer was lost with the connection.
        for (var node = 0; node < 3; node++)
        {
            var stored = (await _cluster.ScalarAsync<string>(node,
                "SELECT COALESCE(GROUP_CONCAT(`label` SEPARATOR ','), '') FROM `sessions` WHERE `label` LIKE 'load_-%'", Database))!
                .Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            Assert.That(stored, Is.SupersetOf(acknowledged.Keys), $"node {node + 1}: no acknowledged sign-in lost");
            Assert.That(stored.Except(acknowledged.Keys), Is.SubsetOf(unanswered.Keys), $"node {node + 1}: nothing stored that was refused");
        }

        // Pins: each acknowledged one reads back through another host than the one that wrote it.
        foreach (var label in pins.Keys)
        {
            var reader = (label[4] - '0' + 1) % 3;
            Assert.That(await StatusAsync(_hosts[reader], HttpMethod.Get, $"/api/plugin-trust/{label}", _adminTokens[reader]),
                Is.EqualTo(HttpStatusCode.OK), $"{label} read through {Name(reader)}");
        }

        TestContext.Out.WriteLine($"{acknowledged.Count} sign-ins and {pins.Count} pins acknowledged (begun and acknowledged while the node was down, per host: {string.Join(", ", whileDown)}); " +
            $"without a clear answer: {unanswered.Count} sign-ins [{string.Join("; ", unanswered.Values.Distinct())}], " +
            $"{pinsUnanswered.Count} pins [{string.Join("; ", pinsUnanswered.Values.Distinct())}]");
    }

    /// <returns>Whether the host acknowledged the write (2xx).</returns>
    private static async Task<bool> Record(ConcurrentDictionary<string, bool> acknowledged, ConcurrentDictionary<string, string> unanswered, string label,
        Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            using var response = await send();
            if (response.IsSuccessStatusCode)
            {
                acknowledged[label] = true;
                return true;
            }

            unanswered[label] = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException ex)
        {
            unanswered[label] = ex.GetType().Name;
        }

        return false;
    }

    /// <summary>Polls <paramref name="condition"/> for up to ten seconds.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), what);
            await Task.Delay(50);
        }
    }

    private async Task<JsonElement> PluginAsync(int host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/plugins/{PluginId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _adminTokens[host]);
        using var response = await _hosts[host].Http.SendAsync(request);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<string> LoginAsync(HostProcess host, string label)
    {
        using var response = await host.Http.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = AdminPassword, label });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body.GetProperty("token").GetString()!;
    }

    private static async Task<HttpStatusCode> StatusAsync(HostProcess host, HttpMethod method, string path, string token)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await host.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static int Lines(HostProcess host, string text) =>
        host.Output.Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
