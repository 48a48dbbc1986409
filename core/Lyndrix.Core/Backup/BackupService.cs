using System.Diagnostics;
using System.Text.Json;
using Lyndrix.Core.Data;
using Lyndrix.Core.Secrets.KeyFile;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Backup;

/// <summary>
/// <c>lyndrix backup create | verify | restore | drill</c>: the work behind the commands, on an opened <see cref="BackupDeployment"/>.
/// Progress goes to <paramref name="progress"/> (the CLI's stderr): counts and timings only, never a value.
/// </summary>
internal sealed class BackupService(TextWriter progress, TimeProvider time)
{
    /// <summary>Secrets bound to the deployment rather than its data: a restore keeps the target's own (its database password).</summary>
    public static readonly IReadOnlySet<string> DeploymentBound = new HashSet<string>(StringComparer.Ordinal) { DatabaseModule.SecretPath };

    public static int CoreSchemaVersion => CoreSchema.Migrations.Max(m => m.Version);

    /// <summary>Reads the deployment (database snapshot, secrets at one point, key file, plugin catalog) into a sealed archive.</summary>
    public async Task<(byte[] Archive, BackupManifest Manifest)> CreateAsync(BackupDeployment deployment, string passphrase, string keySource, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await Say($"Backing up {deployment.Describe()}").ConfigureAwait(false);
        var (database, tables) = await DatabaseSnapshot.ReadAsync(deployment.Database, line => progress.WriteLine("  database  " + line), cancellationToken)
            .ConfigureAwait(false);
        await Say($"[1/4] database: {tables.Count} table(s), {tables.Values.Sum():N0} row(s) ({clock.Elapsed.TotalSeconds:0.0} s)").ConfigureAwait(false);

        var lastShown = 0;
        var secrets = await SecretSnapshot.ReadAsync(deployment.Store, (done, total) =>
        {
            if (done == total || done - lastShown >= 1000)
            {
                lastShown = done;
                progress.WriteLine($"  secrets   {done:N0} / {total:N0}");
            }
        }, cancellationToken).ConfigureAwait(false);
        var secretBytes = JsonSerializer.SerializeToUtf8Bytes(secrets);
        await Say($"[2/4] secrets: {secrets.Count:N0} ({clock.Elapsed.TotalSeconds:0.0} s)").ConfigureAwait(false);

        var parts = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [BackupManifest.DatabasePart] = database,
            [BackupManifest.SecretsPart] = secretBytes,
        };
        var described = new List<BackupPart>
        {
            BackupContents.Describe(BackupManifest.DatabasePart, database, tables.Values.Sum()),
            BackupContents.Describe(BackupManifest.SecretsPart, secretBytes, secrets.Count),
        };
        if (File.Exists(deployment.Secrets.KeyFilePath))
        {
            var keyFile = await File.ReadAllBytesAsync(deployment.Secrets.KeyFilePath, cancellationToken).ConfigureAwait(false);
            parts[BackupManifest.KeyFilePart] = keyFile;
            described.Add(BackupContents.Describe(BackupManifest.KeyFilePart, keyFile, 1));
        }

        var plugins = PluginCatalogEntry.Scan(deployment.Host.PluginsDir);
        var pluginBytes = JsonSerializer.SerializeToUtf8Bytes(plugins);
        parts[BackupManifest.PluginsPart] = pluginBytes;
        described.Add(BackupContents.Describe(BackupManifest.PluginsPart, pluginBytes, plugins.Count));
        await Say($"[3/4] key file {(parts.ContainsKey(BackupManifest.KeyFilePart) ? "included" : "absent (Vault opened with a token)")}, " +
                  $"{plugins.Count} plugin folder(s) catalogued").ConfigureAwait(false);

        var manifest = new BackupManifest
        {
            Format = BackupArchiveCodec.CurrentFormat,
            CreatedAt = time.GetUtcNow(),
            LyndrixVersion = typeof(BackupService).Assembly.GetName().Version?.ToString() ?? "0.0.0",
            SecretBackend = deployment.Backend.Kind,
            Database = deployment.Database.Dialect.Name,
            CoreSchemaVersion = await AppliedCoreVersionAsync(deployment, cancellationToken).ConfigureAwait(false),
            Tables = tables,
            Secrets = secrets.Count,
            Plugins = plugins.Count,
            Parts = described,
        };
        var plaintext = new BackupContents(manifest, parts).Pack();
        var archive = await Task.Run(() => BackupArchiveCodec.Encrypt(plaintext, passphrase, keySource, deployment.Secrets.Argon, time.GetUtcNow()), cancellationToken)
            .ConfigureAwait(false);
        await Say($"[4/4] sealed: {archive.Length:N0} bytes, AES-256-GCM, key from Argon2id of the {(keySource == BackupArchiveCodec.PassphraseSource ? "passphrase" : "master key")} " +
                  $"({clock.Elapsed.TotalSeconds:0.0} s)").ConfigureAwait(false);
        return (archive, manifest);
    }

    /// <summary>Decrypts and checks an archive: envelope, every part's hash, and that this build can restore it.</summary>
    public static async Task<BackupContents> OpenAsync(byte[] archive, string passphrase, string source, CancellationToken cancellationToken)
    {
        var plaintext = await Task.Run(() => BackupArchiveCodec.Decrypt(archive, passphrase, source), cancellationToken).ConfigureAwait(false);
        var contents = BackupContents.Unpack(plaintext, source);
        if (contents.Manifest.Format > BackupArchiveCodec.CurrentFormat || contents.Manifest.CoreSchemaVersion > CoreSchemaVersion)
        {
            throw new BackupException(BackupProblem.VersionMismatch,
                $"{source} was taken from Lyndrix {contents.Manifest.LyndrixVersion} with core schema #{contents.Manifest.CoreSchemaVersion}; this build knows " +
                $"schema #{CoreSchemaVersion}. Restore it with that version of Lyndrix or a newer one.");
        }

        return contents;
    }

    /// <summary>Restores <paramref name="contents"/> into <paramref name="target"/>, all or nothing.</summary>
    public async Task<RestoreReport> RestoreAsync(BackupDeployment target, BackupContents contents, string passphrase, string keySource, RestoreOptions options,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await Say($"Restoring a backup of {contents.Manifest.CreatedAt:u} ({contents.Manifest.SecretBackend} + {contents.Manifest.Database}) into {target.Describe()}")
            .ConfigureAwait(false);
        if (options.KeyFileOut is not null && !contents.Parts.ContainsKey(BackupManifest.KeyFilePart))
        {
            throw new BackupException(BackupProblem.Failed,
                "The backup holds no vault_keys.enc to write to --keyfile-out (its source opened Vault with a token). Nothing was changed; " +
                "run the restore without --keyfile-out.");
        }

        var before = await SecretSnapshot.ReadAsync(target.Store, null, cancellationToken).ConfigureAwait(false);
        var (tablesBefore, rowsBefore) = await PopulationAsync(target, cancellationToken).ConfigureAwait(false);
        var populated = before.Any(s => !DeploymentBound.Contains(s.Path)) || rowsBefore > 0;
        string? safetyCopy = null;
        if (populated)
        {
            if (!options.Force)
            {
                throw new BackupException(BackupProblem.TargetPopulated,
                    $"The target deployment is not empty: it holds {before.Count(s => !DeploymentBound.Contains(s.Path))} secret(s) and {rowsBefore:N0} row(s). " +
                    "Nothing was changed. Restoring replaces them: pass --force to do that (its current state is saved to a safety archive first).");
            }

            safetyCopy = await SaveSafetyCopyAsync(target, passphrase, keySource, cancellationToken).ConfigureAwait(false);
        }

        // Written before anything changes (the file is new, so removing it undoes it): a path that cannot be written, or a
        // backup without a key file, stops the restore while the deployment is untouched.
        var keyFileOut = await WriteKeyFileAsync(contents, options.KeyFileOut, cancellationToken).ConfigureAwait(false);
        var migrator = new SchemaMigrator(target.Database, target.Redactor, time, NullLogger<SchemaMigrator>.Instance);
        DatabaseRestore? database = null;
        var step = "database";
        try
        {
            await migrator.MigrateAsync(DatabaseModule.CoreSchemaOwner, CoreSchema.Migrations, cancellationToken).ConfigureAwait(false);
            using var dump = JsonDocument.Parse(contents.Parts[BackupManifest.DatabasePart]);
            database = await DatabaseRestore.BeginAsync(target.Database, dump.RootElement, tablesBefore,
                name => options.Step?.Invoke("table:" + name) ?? Task.CompletedTask, line => progress.WriteLine("  database  " + line), cancellationToken).ConfigureAwait(false);
            await Say($"[1/3] database staged: {contents.Manifest.Tables.Count} table(s) ({clock.Elapsed.TotalSeconds:0.0} s)").ConfigureAwait(false);

            step = "secrets";
            var (written, deleted) = await SecretSnapshot.SyncAsync(target.Store, contents.ReadSecrets(), before, DeploymentBound,
                n => options.Step?.Invoke("secret:" + n) ?? Task.CompletedTask, cancellationToken).ConfigureAwait(false);
            await Say($"[2/3] secrets: {written:N0} written, {deleted:N0} removed ({clock.Elapsed.TotalSeconds:0.0} s)").ConfigureAwait(false);

            step = "commit";
            await (options.Step?.Invoke("commit") ?? Task.CompletedTask).ConfigureAwait(false);
            await database.CommitAsync(cancellationToken).ConfigureAwait(false);
            await database.DisposeAsync().ConfigureAwait(false);
            database = null;
            await Say($"[3/3] committed ({clock.Elapsed.TotalSeconds:0.0} s)").ConfigureAwait(false);
            return new RestoreReport(contents.Manifest.Tables.Values.Sum(), written, deleted, safetyCopy, MissingPlugins(target, contents));
        }
        catch (Exception ex)
        {
            var cause = ex is BackupException ? ex.Message : ex is System.Data.Common.DbException ? target.Redactor.Describe(ex) : $"{ex.GetType().Name}: {ex.Message}";
            await Say($"Restore failed at the {step} step; putting the deployment back as it was...").ConfigureAwait(false);
            try
            {
                if (keyFileOut is not null)
                {
                    File.Delete(keyFileOut);
                }

                if (database is not null)
                {
                    await database.RollbackAsync().ConfigureAwait(false);
                    await database.DisposeAsync().ConfigureAwait(false);
                }
                else
                {
                    await DatabaseRestore.DropTablesNotInAsync(target.Database, tablesBefore).ConfigureAwait(false);
                }

                var now = await SecretSnapshot.ReadAsync(target.Store, null, CancellationToken.None).ConfigureAwait(false);
                await SecretSnapshot.SyncAsync(target.Store, before, now, DeploymentBound, null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception undo)
            {
                var undoCause = undo is System.Data.Common.DbException ? target.Redactor.Describe(undo) : $"{undo.GetType().Name}: {undo.Message}";
                throw new BackupException(BackupProblem.RollbackFailed,
                    $"The restore failed at the {step} step ({cause}), and putting the previous state back failed too ({undoCause}). " +
                    (safetyCopy is not null
                        ? $"The deployment's state before the restore is in {safetyCopy}: when the database and secret store answer, run 'lyndrix backup restore {safetyCopy} --force'."
                        : "The deployment was empty before: when the database and secret store answer, empty them (or restore again)."), ex);
            }

            throw new BackupException(ex is BackupException { Problem: var problem } && problem != BackupProblem.Failed ? problem : BackupProblem.Failed,
                $"The restore failed at the {step} step: {cause}. Everything was put back as it was before the restore.", ex);
        }
    }

    private static IReadOnlyList<string> MissingPlugins(BackupDeployment target, BackupContents contents)
    {
        var present = PluginCatalogEntry.Scan(target.Host.PluginsDir).Select(p => p.Id).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return contents.ReadPlugins().Select(p => p.Id).OfType<string>().Where(id => !present.Contains(id)).ToList();
    }

    /// <returns>The file written, or null when no <paramref name="path"/> was asked for.</returns>
    private static async Task<string?> WriteKeyFileAsync(BackupContents contents, string? path, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return null;
        }

        var bytes = contents.Parts[BackupManifest.KeyFilePart];
        var full = Path.GetFullPath(path);
        try
        {
            await AtomicFileWriter.Default.WriteAsync(full, bytes, overwrite: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BackupException(BackupProblem.Failed,
                $"The archived vault_keys.enc cannot be written to {full} (--keyfile-out): {ex.Message} Nothing was changed; a key file is never " +
                "written over an existing file.", ex);
        }

        return full;
    }

    private async Task<string> SaveSafetyCopyAsync(BackupDeployment target, string passphrase, string keySource, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(target.Host.StorageDir, "backups");
        // Two restores within one second (a retry, a script) must not collide: the second copy gets -2, -3, ...
        var stem = $"pre-restore-{time.GetUtcNow():yyyyMMdd-HHmmss}";
        var path = Path.Combine(folder, stem + ".lbak");
        for (var n = 2; File.Exists(path); n++)
        {
            path = Path.Combine(folder, $"{stem}-{n}.lbak");
        }

        await Say($"The target holds data: saving its current state to {path} first").ConfigureAwait(false);
        var quiet = new BackupService(TextWriter.Null, time);
        var (archive, _) = await quiet.CreateAsync(target, passphrase, keySource, cancellationToken).ConfigureAwait(false);
        AtomicFileWriter.EnsureDirectory(folder);
        await AtomicFileWriter.Default.WriteAsync(path, archive, overwrite: false, cancellationToken).ConfigureAwait(false);
        return path;
    }

    private static async Task<(IReadOnlySet<string> Tables, long Rows)> PopulationAsync(BackupDeployment target, CancellationToken cancellationToken)
    {
        var connection = await target.Database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var tables = await TableCatalog.ListAsync(connection, target.Database.Dialect.Kind, cancellationToken).ConfigureAwait(false);
            long rows = 0;
            foreach (var table in tables.Where(t => t.Name != TableCatalog.MigrationsTable))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT COUNT(*) FROM {TableCatalog.Quote(table.Name)}";
                rows += Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            }

            return (tables.Select(t => t.Name).ToHashSet(StringComparer.Ordinal), rows);
        }
    }

    private static async Task<int> AppliedCoreVersionAsync(BackupDeployment deployment, CancellationToken cancellationToken)
    {
        var migrator = new SchemaMigrator(deployment.Database, deployment.Redactor, TimeProvider.System, NullLogger<SchemaMigrator>.Instance);
        var applied = await migrator.ListAppliedAsync(DatabaseModule.CoreSchemaOwner, cancellationToken).ConfigureAwait(false);
        return applied.Where(m => m.IsComplete).Select(m => m.Version).DefaultIfEmpty(0).Max();
    }

    private Task Say(string line) => progress.WriteLineAsync(line);
}
