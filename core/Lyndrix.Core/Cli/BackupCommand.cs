using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Lyndrix.Core.Backup;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Lifecycle;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Cli;

/// <summary><c>lyndrix backup create|verify|restore|drill</c>: one encrypted archive of a deployment's database, secrets,
/// key file and plugin catalog; checked, restored all or nothing, and rehearsed in a scratch deployment.</summary>
internal sealed class BackupCommand : ICliCommand
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "force", "json" };

    public string Name => "backup";

    public string Summary => "Back a deployment up into one encrypted archive, verify it, restore it (all or nothing), or rehearse a restore.";

    public string Help =>
        "Usage: lyndrix backup create --out FILE [--passphrase-env NAME]\n" +
        "       lyndrix backup verify FILE [--passphrase-env NAME] [--json]\n" +
        "       lyndrix backup restore FILE [--force] [--passphrase-env NAME] [--keyfile-out PATH]\n" +
        "       lyndrix backup drill FILE [--passphrase-env NAME]\n\n" +
        "  create   Reads the deployment configured here (the same settings as 'lyndrix run': VAULT_URL or the embedded store,\n" +
        "           DB_HOST or SQLite) while it runs: every table of the database as of one moment (MariaDB: a consistent InnoDB\n" +
        "           snapshot; SQLite: an online copy), every live secret under the lyndrix/ mount with its metadata, read at one\n" +
        "           point in time, vault_keys.enc and the plugin catalog (ids, versions, file digests of PLUGINS_DIR). One file,\n" +
        "           AES-256-GCM, key from Argon2id (LYNDRIX_ARGON_*) of LYNDRIX_MASTER_KEY or of the passphrase in the environment\n" +
        "           variable named by --passphrase-env; a manifest lists versions, counts and a SHA-256 per part. FILE must not exist.\n" +
        "  verify   Decrypts FILE and checks every part against the manifest; touches no deployment.\n" +
        "  restore  Puts FILE into the deployment configured here. The target must be empty (no secrets, no rows; an embedded\n" +
        "           store that does not exist yet is initialized with LYNDRIX_MASTER_KEY), or --force replaces what it holds after\n" +
        "           saving it to STORAGE_DIR/backups/pre-restore-TIME.lbak. All or nothing: on any failure the database transaction\n" +
        "           is rolled back, tables the restore created are dropped and the secrets are put back. Works across backends\n" +
        "           (embedded + SQLite <-> Vault + MariaDB). The target keeps its own vault_keys.enc and database password\n" +
        "           (core/lyndrix.core.database); --keyfile-out writes the archived vault_keys.enc to PATH (never over a file).\n" +
        "           Refused (exit 9) while a host runs on the deployment: every host holds a shared lock in SECURITY_DIR/hosts/\n" +
        "           for its lifetime; the message names each host (instance, pid) and how to stop it. A host does not start while\n" +
        "           a restore runs. Hosts on other machines of a cluster are not seen: stop them all before restoring.\n" +
        "  drill    Restores FILE into a scratch deployment (embedded store + SQLite in a temporary folder), compares every\n" +
        "           row and secret with the backup, reports, and removes the scratch folder. Nothing else is touched.\n\n" +
        "The key: --passphrase-env NAME (the passphrase is read from variable NAME, never from the command line; at least 12\n" +
        "characters), else LYNDRIX_MASTER_KEY (with ENV_TYPE=dev, the generated SECURITY_DIR/master.key). A backup taken with\n" +
        "the master key opens only with that key: use a passphrase to restore into a deployment with another master key.\n" +
        "Progress goes to stderr; values of secrets never appear in any output.\n" +
        "Exit codes: 0 done; 1 failed (a restore put everything back); 2 usage or configuration error; 3 wrong passphrase or\n" +
        "master key; 4 archive damaged (not a backup, truncated or altered); 5 written by a newer Lyndrix; 6 target not empty\n" +
        "(use --force); 7 database or secret store unreachable; 8 restore failed and putting the previous state back failed too\n" +
        "(the message says what to do); 9 a host or another restore runs on the target (the message names it).";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, Flags);
        var action = parsed.Positional.Count > 0 ? parsed.Positional[0] : throw new CliUsageException("Name a sub-command: create, verify, restore or drill.");
        var file = action switch
        {
            "create" when parsed.Positional.Count == 1 => Path.GetFullPath(parsed.Require("out"), context.WorkingDirectory),
            "verify" or "restore" or "drill" when parsed.Positional.Count == 2 => Path.GetFullPath(parsed.Positional[1], context.WorkingDirectory),
            "create" => throw new CliUsageException("'backup create' takes no FILE argument: name the archive with --out FILE."),
            "verify" or "restore" or "drill" => throw new CliUsageException($"'backup {action}' needs exactly one FILE."),
            _ => throw new CliUsageException($"Unknown sub-command '{action}': use create, verify, restore or drill."),
        };

        parsed.AllowOnly(action switch
        {
            "create" => ["out", "passphrase-env"],
            "verify" => ["passphrase-env", "json"],
            "restore" => ["force", "passphrase-env", "keyfile-out"],
            _ => ["passphrase-env"],
        }, "backup " + action);
        var host = HostSettings.Load(context.Config, context.WorkingDirectory);
        try
        {
            return action switch
            {
                "create" => await CreateAsync(context, parsed, host, file, cancellationToken).ConfigureAwait(false),
                "verify" => await VerifyAsync(context, parsed, host, file, cancellationToken).ConfigureAwait(false),
                "restore" => await RestoreAsync(context, parsed, host, file, cancellationToken).ConfigureAwait(false),
                _ => await DrillAsync(context, parsed, host, file, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (BackupException ex)
        {
            await context.Error.WriteLineAsync($"backup {action}: {ex.Message}").ConfigureAwait(false);
            return (int)ex.Problem;
        }
    }

    private static async Task<int> CreateAsync(CliContext context, CliArguments parsed, HostSettings host, string file, CancellationToken cancellationToken)
    {
        if (File.Exists(file))
        {
            throw new CliUsageException($"{file} exists; a backup never overwrites a file. Choose another name or move it away.");
        }

        var (passphrase, source) = await KeyAsync(context, parsed, host, cancellationToken).ConfigureAwait(false);
        await using var deployment = await BackupDeployment.OpenAsync(host, context.WorkingDirectory, restoreTarget: false, cancellationToken).ConfigureAwait(false);
        var (archive, manifest) = await new BackupService(context.Error, TimeProvider.System).CreateAsync(deployment, passphrase, source, cancellationToken).ConfigureAwait(false);
        try
        {
            await AtomicFileWriter.Default.WriteAsync(file, archive, overwrite: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BackupException(BackupProblem.Failed,
                $"The archive could not be written to {file}: {ex.Message} Nothing was written; check the folder's permissions and free space.", ex);
        }

        await context.Out.WriteLineAsync(
            $"Wrote {file}: {manifest.Tables.Count} table(s), {manifest.Tables.Values.Sum():N0} row(s), {manifest.Secrets:N0} secret(s), " +
            $"{manifest.Plugins} plugin folder(s){(manifest.Parts.Any(p => p.Name == BackupManifest.KeyFilePart) ? ", vault_keys.enc" : "")}.").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> VerifyAsync(CliContext context, CliArguments parsed, HostSettings host, string file, CancellationToken cancellationToken)
    {
        var contents = await OpenArchiveAsync(context, parsed, host, file, cancellationToken).ConfigureAwait(false);
        var m = contents.Manifest;
        if (parsed.Has("json"))
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(new { status = "intact", manifest = m })).ConfigureAwait(false);
            return 0;
        }

        await context.Out.WriteLineAsync(
            $"{file}: intact. Taken {m.CreatedAt:u} by Lyndrix {m.LyndrixVersion} from {m.SecretBackend} + {m.Database} (core schema #{m.CoreSchemaVersion}).").ConfigureAwait(false);
        foreach (var part in m.Parts)
        {
            await context.Out.WriteLineAsync($"  {part.Name,-16} {part.Count,10:N0} record(s) {part.Bytes,14:N0} bytes  sha256 {part.Sha256}").ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<int> RestoreAsync(CliContext context, CliArguments parsed, HostSettings host, string file, CancellationToken cancellationToken)
    {
        var keyFileOut = parsed.Get("keyfile-out") is { } k ? Path.GetFullPath(k, context.WorkingDirectory) : null;
        if (keyFileOut is not null && (File.Exists(keyFileOut) || Directory.Exists(keyFileOut)))
        {
            throw new CliUsageException($"{keyFileOut} exists; --keyfile-out never overwrites a file. Choose another path or move it away.");
        }

        var (passphrase, source) = await KeyAsync(context, parsed, host, cancellationToken).ConfigureAwait(false);
        var contents = await OpenAsync(file, passphrase, cancellationToken).ConfigureAwait(false);
        await using var deployment = await BackupDeployment.OpenAsync(host, context.WorkingDirectory, restoreTarget: true, cancellationToken).ConfigureAwait(false);
        var options = new RestoreOptions { Force = parsed.Has("force"), KeyFileOut = keyFileOut };
        var report = await new BackupService(context.Error, TimeProvider.System).RestoreAsync(deployment, contents, passphrase, source, options, cancellationToken)
            .ConfigureAwait(false);
        await context.Out.WriteLineAsync(
            $"Restored {file}: {report.Rows:N0} row(s), {report.SecretsWritten:N0} secret(s) written, {report.SecretsDeleted:N0} removed." +
            (report.SafetyCopy is { } copy ? $" The previous state is kept in {copy}." : "") +
            (report.MissingPlugins.Count > 0 ? $" Plugins in the backup but not in PLUGINS_DIR: {string.Join(", ", report.MissingPlugins)} (install them; their data is restored)." : "") +
            (options.KeyFileOut is { } keyFile ? $" The archived vault_keys.enc is in {keyFile}." : "")).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> DrillAsync(CliContext context, CliArguments parsed, HostSettings host, string file, CancellationToken cancellationToken)
    {
        var (passphrase, source) = await KeyAsync(context, parsed, host, cancellationToken).ConfigureAwait(false);
        var contents = await OpenAsync(file, passphrase, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var scratch = Path.Combine(Path.GetTempPath(), "lyndrix-drill-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        Directory.CreateDirectory(scratch);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        try
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["ENV_TYPE"] = "dev",
                ["STORAGE_DIR"] = Path.Combine(scratch, "storage"),
                ["SECURITY_DIR"] = Path.Combine(scratch, "security"),
                ["PLUGINS_DIR"] = Path.Combine(scratch, "plugins"),
                ["LOGS_DIR"] = Path.Combine(scratch, "logs"),
                ["LYNDRIX_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)),
                // The scratch key file is thrown away: no need for the deployment's KDF cost.
                ["LYNDRIX_ARGON_TIME"] = "1", ["LYNDRIX_ARGON_MEM"] = "64", ["LYNDRIX_ARGON_PARALLEL"] = "1",
            };
            var scratchHost = HostSettings.Load(EnvironmentConfigSource.FromValues(values), scratch);
            await context.Error.WriteLineAsync($"Drill: restoring into a scratch deployment in {scratch}").ConfigureAwait(false);
            await using var deployment = await BackupDeployment.OpenAsync(scratchHost, scratch, restoreTarget: true, cancellationToken).ConfigureAwait(false);
            var service = new BackupService(context.Error, TimeProvider.System);
            await service.RestoreAsync(deployment, contents, passphrase, source, new RestoreOptions(), cancellationToken).ConfigureAwait(false);
            var (database, _) = await DatabaseSnapshot.ReadAsync(deployment.Database, null, cancellationToken).ConfigureAwait(false);
            var secrets = await SecretSnapshot.ReadAsync(deployment.Store, null, cancellationToken).ConfigureAwait(false);
            var differences = BackupComparison.Differences(contents, database, secrets, BackupService.DeploymentBound);
            var m = contents.Manifest;
            if (differences.Count > 0)
            {
                await context.Out.WriteLineAsync($"Drill FAILED for {file}: {differences.Count} difference(s) between the backup and what a restore produces:").ConfigureAwait(false);
                foreach (var difference in differences.Take(50))
                {
                    await context.Out.WriteLineAsync("  " + difference).ConfigureAwait(false);
                }

                return (int)BackupProblem.Failed;
            }

            await context.Out.WriteLineAsync(
                $"Drill passed for {file}: restored and compared {m.Tables.Count} table(s), {m.Tables.Values.Sum():N0} row(s) and {m.Secrets:N0} secret(s), " +
                $"all identical ({clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s). The scratch deployment was removed.").ConfigureAwait(false);
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task<BackupContents> OpenArchiveAsync(CliContext context, CliArguments parsed, HostSettings host, string file, CancellationToken cancellationToken)
    {
        var (passphrase, _) = await KeyAsync(context, parsed, host, cancellationToken).ConfigureAwait(false);
        return await OpenAsync(file, passphrase, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<BackupContents> OpenAsync(string file, string passphrase, CancellationToken cancellationToken)
    {
        byte[] archive;
        try
        {
            archive = await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"The backup {file} cannot be read: {ex.Message}");
        }

        return await BackupService.OpenAsync(archive, passphrase, $"The backup {Path.GetFileName(file)}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The archive's key: the passphrase in the variable --passphrase-env names, else the deployment's master key.</summary>
    private static async Task<(string Passphrase, string Source)> KeyAsync(CliContext context, CliArguments parsed, HostSettings host, CancellationToken cancellationToken)
    {
        if (parsed.Get("passphrase-env") is { } variable)
        {
            var passphrase = context.Config.Get(variable);
            if (string.IsNullOrEmpty(passphrase))
            {
                throw new CliUsageException($"--passphrase-env names {variable}, which is not set (or empty). Export the passphrase in it.");
            }

            if (MasterKeyPolicy.Check(passphrase) is { } problem)
            {
                throw new CliUsageException(problem.Replace("The master key", "The backup passphrase", StringComparison.Ordinal));
            }

            return (passphrase, BackupArchiveCodec.PassphraseSource);
        }

        var secrets = SecretStoreSettings.Load(host);
        var key = (await MasterKeySource.ResolveAsync(secrets, secrets.VaultUrl is null, NullLogger.Instance, cancellationToken).ConfigureAwait(false)).Key;
        return key is null
            ? throw new CliUsageException("No key for the archive: set LYNDRIX_MASTER_KEY, or pass --passphrase-env NAME with the passphrase in variable NAME.")
            : (key, BackupArchiveCodec.MasterKeySource);
    }
}
