using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Lyndrix.VaultDouble;

namespace Lyndrix.IntegrationTests.EndToEnd;

/// <summary>
/// One production-like boot with every kind of secret in play — Vault (auto-init through the API double), MariaDB, LDAP, OIDC,
/// bootstrap accounts, sessions, module secrets — then a scan of everything the host wrote (captured log lines, the log files,
/// event payload logs, HTTP bodies) for every secret value used.
/// </summary>
[Category("EndToEnd")]
public sealed class WholeBootSecretScanTests
{
    private static string Secret(string label) => $"{label}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}";

    [Test]
    public async Task No_secret_value_reaches_a_log_an_event_log_or_an_http_body_during_a_whole_boot()
    {
        if (MariaDbServer.FindBinary() is null)
        {
            ServerRequirement.Missing("MariaDB (mariadbd)", "apt-get install mariadb-server");
        }

        var mariadb = await MariaDbServer.SharedAsync();
        await using var slapd = await SlapdServer.StartAsync();
        await using var vault = await VaultDoubleServer.StartAsync();
        var root = TestSettings.TempDirectory();

        var masterKey = Secret("master-Key");
        var dbPassword = "p@ss:w/rd;\"'" + Secret("db");
        var adminPassword = Secret("first-account-pw");
        var botPassword = Secret("second-account-pw");
        var alicePassword = Secret("alice-pw");
        var wrongPassword = Secret("wrong-pw");
        var oidcSecret = Secret("oidc-client-secret");
        var moduleSecret = Secret("module-secret");
        var database = await mariadb.CreateDatabaseAsync("scan");
        await mariadb.CreateUserAsync("scan_user", dbPassword, database);
        await slapd.AddAsync(SlapdServer.Person("alice", alicePassword));

        var values = new Dictionary<string, string>
        {
            ["ENV_TYPE"] = "production",
            ["PORT"] = "0",
            ["STORAGE_DIR"] = Path.Combine(root, "storage"),
            ["SECURITY_DIR"] = Path.Combine(root, "security"),
            ["PLUGINS_DIR"] = Path.Combine(root, "plugins"),
            ["LOGS_DIR"] = Path.Combine(root, "logs"),
            ["LOG_LEVEL"] = "DEBUG",
            ["LYNDRIX_BUILTIN_MODULES_DIR"] = RepositoryPaths.BuiltInModules(),
            ["VAULT_URL"] = vault.BaseAddress.ToString(),
            ["LYNDRIX_MASTER_KEY"] = masterKey,
            ["DB_HOST"] = MariaDbServer.Host,
            ["DB_PORT"] = mariadb.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DB_USER"] = "scan_user",
            ["DB_PASSWORD"] = dbPassword,
            ["DB_NAME"] = database,
            ["LYNDRIX_ADMIN_PASSWORD"] = adminPassword,
            ["LYNDRIX_BOT_PASSWORD"] = botPassword,
            ["LYNDRIX_AUTH_PROVIDERS"] = "ldap,local",
            ["LYNDRIX_LDAP_URL"] = slapd.Url.ToString(),
            ["LYNDRIX_LDAP_BIND_DN"] = SlapdServer.ServiceDn,
            ["LYNDRIX_LDAP_BIND_PASSWORD"] = SlapdServer.ServicePassword,
            ["LYNDRIX_LDAP_BASE_DN"] = SlapdServer.BaseDn,
            ["LYNDRIX_OIDC_ISSUER"] = "http://127.0.0.1:9/unreachable",
            ["LYNDRIX_OIDC_CLIENT_ID"] = "lyndrix",
            ["LYNDRIX_OIDC_CLIENT_SECRET"] = oidcSecret,
            ["LYNDRIX_OIDC_REDIRECT_URI"] = "http://127.0.0.1/auth/callback/oidc",
        };
        Directory.CreateDirectory(values["PLUGINS_DIR"]);
        var bodies = new List<string>();
        var sessionTokens = new List<string>();

        try
        {
            await using var host = await RunningHost.StartAsync(HostSettings.Load(EnvironmentConfigSource.FromValues(values), root));
            var bus = host.Get<EventBus>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var complete = await bus.WaitForAsync(CoreTopics.SystemBootComplete, timeout.Token);
            Assert.That(complete.Payload.GetInt64("plugins_active"), Is.GreaterThanOrEqualTo(1), host.Logs.AllText);

            // Every body is scanned except the successful logins', which carry the session token by design.
            async Task<HttpResponseMessage> Post(string path, object body, bool scan = true)
            {
                var response = await host.Http.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
                var text = await response.Content.ReadAsStringAsync();
                if (scan)
                {
                    bodies.Add(text);
                }
                else
                {
                    Assert.That(response.IsSuccessStatusCode, Is.True, text);
                    sessionTokens.Add(JsonDocument.Parse(text).RootElement.GetProperty("token").GetString()!);
                }

                return response;
            }

            (await Post("/api/auth/login", new { username = "admin", password = adminPassword }, scan: false)).Dispose();
            (await Post("/api/auth/login", new { username = "alice", password = alicePassword }, scan: false)).Dispose();

            using (var wrong = await Post("/api/auth/login", new { username = "alice", password = wrongPassword }))
            {
                Assert.That((int)wrong.StatusCode, Is.EqualTo(401));
            }

            using (var anonymous = await Post("/api/vault/unseal", new { key = masterKey }))
            {
                Assert.That((int)anonymous.StatusCode, Is.EqualTo(401), "once IAM is ready only administrators may unseal");
            }

            host.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", sessionTokens[0]);
            using (var unseal = await Post("/api/vault/unseal", new { key = masterKey }))
            {
                Assert.That((int)unseal.StatusCode, Is.EqualTo(400), "already unsealed");
            }

            using (var init = await Post("/api/vault/init", new { key = wrongPassword + "-init" }))
            {
                Assert.That((int)init.StatusCode, Is.EqualTo(400), "already initialized");
            }

            var scope = host.Get<IModuleSecretScopeFactory>().For(new ModuleManifest { Id = "lyndrix.plugin.scan", Name = "Scan", Version = "1.0.0" });
            await scope.SetAsync("api_key", moduleSecret, CancellationToken.None);
            Assert.That(await scope.GetAsync("api_key", CancellationToken.None), Is.EqualTo(moduleSecret));

            bodies.Add(await host.Http.GetStringAsync(new Uri("/api/vault/status", UriKind.Relative)));
            bodies.Add(await host.Http.GetStringAsync(new Uri("/api/boot", UriKind.Relative)));
            bodies.Add(await host.Http.GetStringAsync(new Uri("/api/health", UriKind.Relative)));

            var keyFile = new VaultKeyFile(Path.Combine(values["SECURITY_DIR"], VaultKeyFile.FileName), Argon2Parameters.Default);
            var material = await keyFile.ReadAsync(masterKey, CancellationToken.None);
            var secrets = new Dictionary<string, string>
            {
                ["master key"] = masterKey,
                ["database password"] = dbPassword,
                ["admin password"] = adminPassword,
                ["bot password"] = botPassword,
                ["LDAP user password"] = alicePassword,
                ["LDAP bind password"] = SlapdServer.ServicePassword,
                ["wrong password"] = wrongPassword,
                ["OIDC client secret"] = oidcSecret,
                ["module secret"] = moduleSecret,
                ["Vault root token"] = material.RootToken,
            };
            foreach (var (key, i) in material.UnsealKeys.Select((k, i) => (k, i)))
            {
                secrets[$"Vault unseal key {i}"] = key;
            }

            foreach (var (token, i) in sessionTokens.Select((t, i) => (t, i)))
            {
                secrets[$"session token {i}"] = token;
            }

            await host.App.StopAsync();

            var logFiles = string.Join("\n", Directory.GetFiles(values["LOGS_DIR"]).Select(File.ReadAllText));
            var outputs = new Dictionary<string, string>
            {
                ["captured log"] = host.Logs.AllText,
                ["log files"] = logFiles,
                ["HTTP bodies"] = string.Join("\n", bodies),
            };
            Assert.That(host.Logs.Entries, Has.Count.GreaterThan(50), "the scan must have something to scan");
            Assert.That(logFiles, Does.Contain("EVENT vault:opened"), "event payload logs are part of the scan");
            Assert.Multiple(() =>
            {
                foreach (var (outputName, text) in outputs)
                {
                    foreach (var (secretName, value) in secrets)
                    {
                        Assert.That(text, Does.Not.Contain(value), $"{secretName} found in {outputName}");
                    }
                }
            });
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
