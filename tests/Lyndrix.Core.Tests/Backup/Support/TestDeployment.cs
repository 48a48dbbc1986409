using System.Globalization;
using Dapper;
using Lyndrix.Core.Backup;
using Lyndrix.Core.Cli;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Secrets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Tests.Backup.Support;

/// <summary>
/// A deployment in a private folder for backup tests: the embedded store and SQLite by default, or the Vault double and a
/// MariaDB database. Seeds realistic data (core tables through the core migrations, a plugin's own table and migration
/// record, secrets of several modules) and snapshots what it holds, so tests can compare states record by record.
/// Shared by the unit and integration test projects.
/// </summary>
internal sealed class TestDeployment : IDisposable
{
    public const string MasterKey = "backup-test-master-key-2026";
    public const string PluginTable = "acme_notes";
    public const string PluginOwner = "acme.notes";

    private TestDeployment(string root, Dictionary<string, string> env)
    {
        Root = root;
        Env = env;
    }

    public string Root { get; }

    public Dictionary<string, string> Env { get; }

    public static TestDeployment Embedded(string parent, string name, string masterKey = MasterKey)
    {
        var root = Path.Combine(parent, name);
        Directory.CreateDirectory(root);
        return new TestDeployment(root, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ENV_TYPE"] = "production",
            ["STORAGE_DIR"] = Path.Combine(root, "storage"),
            ["SECURITY_DIR"] = Path.Combine(root, "security"),
            ["PLUGINS_DIR"] = Path.Combine(root, "plugins"),
            ["LOGS_DIR"] = Path.Combine(root, "logs"),
            ["LYNDRIX_MASTER_KEY"] = masterKey,
            ["LYNDRIX_ARGON_TIME"] = "1",
            ["LYNDRIX_ARGON_MEM"] = "64",
            ["LYNDRIX_ARGON_PARALLEL"] = "1",
        });
    }

    public TestDeployment WithVault(Uri url, string token)
    {
        Env["VAULT_URL"] = url.ToString();
        Env["VAULT_TOKEN"] = token;
        Env["VAULT_TIMEOUT"] = "5";
        Env["VAULT_MAX_RETRIES"] = "0";
        return this;
    }

    public TestDeployment WithMariaDb(string host, int port, string user, string password, string database)
    {
        Env["DB_HOST"] = host;
        Env["DB_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        Env["DB_USER"] = user;
        Env["DB_PASSWORD"] = password;
        Env["DB_NAME"] = database;
        Env["DB_SSL_MODE"] = "disabled";
        Env["DB_CONNECT_TIMEOUT"] = "3";
        return this;
    }

    public HostSettings Host => HostSettings.Load(EnvironmentConfigSource.FromValues(Env), Root);

    public Task<BackupDeployment> OpenAsync(bool initialize = true) => BackupDeployment.OpenAsync(Host, Root, initialize, CancellationToken.None);

    /// <summary>Runs a <c>lyndrix</c> command in-process with this deployment's environment (plus <paramref name="extra"/>).</summary>
    public async Task<(int Code, string Out, string Error)> CliAsync(IReadOnlyDictionary<string, string>? extra, params string[] args)
    {
        var env = new Dictionary<string, string>(Env, StringComparer.Ordinal);
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(new StringReader(""), output, error, EnvironmentConfigSource.FromValues(env), Root);
        var code = await LyndrixCli.RunAsync(args, context);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Core tables (through the core migrations), a plugin's table with its migration record, and secrets of several
    /// modules; values are recognisable (<see cref="SecretMarker"/>) so tests can prove none leaks into output.</summary>
    public async Task SeedAsync(int secrets = 12, int rows = 40, string tag = "a")
    {
        await using var deployment = await OpenAsync();
        var migrator = new SchemaMigrator(deployment.Database, deployment.Redactor, TimeProvider.System, NullLogger<SchemaMigrator>.Instance);
        await migrator.MigrateAsync(DatabaseModule.CoreSchemaOwner, CoreSchema.Migrations, CancellationToken.None);
        var pluginDdl = deployment.Database.Dialect.Kind == SqlDialectKind.MariaDb
            ? $"CREATE TABLE IF NOT EXISTS `{PluginTable}` (`id` BIGINT NOT NULL PRIMARY KEY, `body` LONGTEXT NULL, `score` DOUBLE NULL, `blob` LONGBLOB NULL) " + MariaDbDialect.TableOptions
            : $"CREATE TABLE IF NOT EXISTS `{PluginTable}` (`id` INTEGER NOT NULL PRIMARY KEY, `body` TEXT NULL, `score` REAL NULL, `blob` BLOB NULL)";
        await migrator.MigrateAsync(PluginOwner, [SchemaMigration.Portable(1, "create notes", pluginDdl)], CancellationToken.None);
        var connection = await deployment.Database.OpenAsync(CancellationToken.None);
        await using (connection)
        {
            var now = 1_700_000_000_000L;
            for (var i = 0; i < rows; i++)
            {
                await connection.ExecuteAsync(
                    "INSERT INTO `users` (`id`, `username`, `password_hash`, `full_name`, `email`, `is_admin`, `bootstrap_marker`, `created_at`) " +
                    "VALUES (@Id, @Name, @Hash, @Full, NULL, @Admin, NULL, @At)",
                    new { Id = $"{tag}-u{i}", Name = $"{tag}-user{i}", Hash = $"$argon2id$v=19$hash{i}", Full = $"Ünïcode name {i} 🚀", Admin = i % 7 == 0, At = now + i });
                await connection.ExecuteAsync($"INSERT INTO `{PluginTable}` (`id`, `body`, `score`, `blob`) VALUES (@Id, @Body, @Score, @Blob)",
                    new { Id = i, Body = i % 5 == 0 ? null : $"{tag} note {i} with 'quotes' and `ticks`", Score = i / 4.0, Blob = new byte[] { (byte)i, 0, 255 } });
            }

            if (rows > 0)
            {
                await connection.ExecuteAsync("INSERT INTO `groups` (`name`, `description`, `created_at`) VALUES (@Name, 'ops', @At)", new { Name = $"{tag}-ops", At = now });
                await connection.ExecuteAsync("INSERT INTO `user_groups` (`user_id`, `group_name`) VALUES (@User, @Group)", new { User = $"{tag}-u0", Group = $"{tag}-ops" });
            }
        }

        for (var i = 0; i < secrets; i++)
        {
            var path = (i % 3) switch { 0 => $"plugins/{tag}.plugin{i}", 1 => $"core/{tag}-core{i}", _ => $"plugins/nested/{tag}/deep{i}" };
            await deployment.Store.WriteAsync(path, new Dictionary<string, string> { ["key"] = SecretMarker(tag, i), ["other"] = $"field {i}" }, null, CancellationToken.None);
            if (i % 4 == 0)
            {
                await ((IKeyValueHistory)deployment.Store).SetMaxVersionsAsync(path, 3, CancellationToken.None);
                await deployment.Store.WriteAsync(path, new Dictionary<string, string> { ["key"] = SecretMarker(tag, i) }, null, CancellationToken.None);
            }
        }
    }

    public static string SecretMarker(string tag, int i) => $"s3cr3t-{tag}-{i}-value";

    /// <summary>What the deployment holds: its database as the backup would read it, its live secrets, its table names.</summary>
    public async Task<DeploymentState> StateAsync()
    {
        await using var deployment = await OpenAsync(initialize: false);
        var (database, _) = await DatabaseSnapshot.ReadAsync(deployment.Database, null, CancellationToken.None);
        var secrets = await SecretSnapshot.ReadAsync(deployment.Store, null, CancellationToken.None);
        var connection = await deployment.Database.OpenAsync(CancellationToken.None);
        await using (connection)
        {
            var tables = await TableCatalog.ListAsync(connection, deployment.Database.Dialect.Kind, CancellationToken.None);
            return new DeploymentState(database, secrets, tables.Select(t => t.Name).Order(StringComparer.Ordinal).ToList());
        }
    }

    public void Dispose() => Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
}
