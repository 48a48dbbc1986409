using System.Globalization;
using System.Text;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Secrets.KeyFile;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Cli;

/// <summary>
/// <c>lyndrix secrets versions|rollback PATH</c> and <c>lyndrix secrets accept-restore</c>: operator tools for the embedded
/// store's history. They open the store under SECURITY_DIR directly, beside a running host: SQLite's locks keep the two apart,
/// and a rollback is an ordinary check-and-set write, so it never overwrites a change the host made meanwhile.
/// </summary>
internal sealed class SecretsCommand : ICliCommand
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal);

    public string Name => "secrets";

    public string Summary => "List a secret's versions, roll it back, or accept a restored embedded store.";

    public string Help =>
        "Usage: lyndrix secrets versions PATH\n" +
        "       lyndrix secrets rollback PATH --version N\n" +
        "       lyndrix secrets accept-restore\n\n" +
        "Operator tools for the embedded secret store (SECURITY_DIR/embedded_secrets.db), safe to run while the host runs.\n" +
        "PATH is the KV path, e.g. plugins/lyndrix.sample.hello or core/lyndrix.core.database.\n" +
        "  versions        every kept version of PATH: when it was written, whether it is current, deleted or destroyed.\n" +
        "  rollback        write version N's data again as a new version (like 'vault kv rollback'); older versions stay.\n" +
        "                  Refused when N was deleted, destroyed or pruned (LYNDRIX_SECRET_MAX_VERSIONS, default 10, are kept).\n" +
        "  accept-restore  the store was restored from a backup on purpose: record it as current, so the host starts again.\n" +
        "                  The host refuses a store older than its rollback mark (embedded_secrets.mark); secrets written\n" +
        "                  after that backup are lost. Needs no key; it accepts only that case, never a missing file.\n\n" +
        "versions and rollback decrypt vault_keys.enc with LYNDRIX_MASTER_KEY (with ENV_TYPE=dev, the generated\n" +
        "SECURITY_DIR/master.key when it is not set); it is never taken from the command line. With VAULT_URL set, use\n" +
        "'vault kv metadata get' and 'vault kv rollback' on mount lyndrix instead.\n" +
        "Exit codes: 0 success, 1 failure (the reason on stderr), 2 usage or configuration error.";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, Flags);
        var action = parsed.Positional.Count > 0 ? parsed.Positional[0] : throw new CliUsageException("Name a sub-command: versions, rollback or accept-restore.");
        var expected = action switch
        {
            "versions" or "rollback" => 2,
            "accept-restore" => 1,
            _ => throw new CliUsageException($"Unknown sub-command '{action}': use versions, rollback or accept-restore."),
        };
        if (parsed.Positional.Count != expected)
        {
            throw new CliUsageException(expected == 2 ? $"'secrets {action}' needs exactly one PATH." : "'secrets accept-restore' takes no PATH.");
        }

        var host = HostSettings.Load(context.Config, context.WorkingDirectory);
        var settings = SecretStoreSettings.Load(host);
        if (settings.VaultUrl is not null)
        {
            await context.Error.WriteLineAsync(
                $"VAULT_URL is set, so secrets live in HashiCorp Vault, which keeps their history itself: use 'vault kv metadata get -mount=lyndrix PATH' " +
                "and 'vault kv rollback -mount=lyndrix -version=N PATH'.").ConfigureAwait(false);
            return 2;
        }

        var paths = EmbeddedStorePaths.In(settings.SecurityDir);
        if (action == "accept-restore")
        {
            var (before, accepted) = await EmbeddedStoreIntegrity.AcceptRestoreAsync(paths, cancellationToken).ConfigureAwait(false);
            await context.Out.WriteLineAsync(
                $"Accepted {paths.Database} as the current store (commit {accepted}; the mark recorded " +
                $"{(before is { } b ? b.ToString(CultureInfo.InvariantCulture) : "nothing readable")}). Secrets written after the backup are gone; " +
                "the host will start with this store.").ConfigureAwait(false);
            return 0;
        }

        var path = parsed.Positional[1];
        int? version = null;
        if (action == "rollback")
        {
            var raw = parsed.Require("version");
            version = int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v
                : throw new CliUsageException($"--version must be a version number (1 or more), got '{raw}'.");
        }

        try
        {
            EmbeddedKeyValueStore.ValidatePath(path);
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException(ex.Message.Split(" (Parameter", 2)[0]);
        }

        try
        {
            using var backend = await OpenAsync(context, settings, cancellationToken).ConfigureAwait(false);
            if (backend is null)
            {
                return 2;
            }

            return version is { } n
                ? await RollbackAsync(context, backend, path, n, cancellationToken).ConfigureAwait(false)
                : await ListAsync(context, backend, path, cancellationToken).ConfigureAwait(false);
        }
        catch (KeyFileException ex)
        {
            await context.Error.WriteLineAsync($"secrets {action} failed ({ex.Reason}): {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (Exception ex) when (ex is InvalidDataException or SecretBackendUnsealRejectedException or SecretBackendUnreachableException)
        {
            await context.Error.WriteLineAsync($"secrets {action} failed: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<EmbeddedSecretBackend?> OpenAsync(CliContext context, SecretStoreSettings settings, CancellationToken cancellationToken)
    {
        var masterKey = settings.MasterKey;
        if (masterKey is null && settings.IsDev && File.Exists(settings.DevMasterKeyPath))
        {
            masterKey = (await File.ReadAllTextAsync(settings.DevMasterKeyPath, Encoding.UTF8, cancellationToken).ConfigureAwait(false)).Trim();
        }

        if (masterKey is null)
        {
            await context.Error.WriteLineAsync(
                "LYNDRIX_MASTER_KEY is not set. Export the master key the store's vault_keys.enc is encrypted with; it is never taken from the command line.")
                .ConfigureAwait(false);
            return null;
        }

        var backend = EmbeddedSecretBackend.Create(settings, TimeProvider.System, NullLogger.Instance);
        try
        {
            if (backend.VerifyIntegrity() is EmbeddedStoreState.Uninitialized)
            {
                throw new SecretStoreIntegrityException($"There is no embedded secret store in {settings.SecurityDir} yet: it is created when the host first starts.",
                    acceptable: false);
            }

            var material = await new VaultKeyFile(settings.KeyFilePath, settings.Argon).ReadAsync(masterKey, cancellationToken).ConfigureAwait(false);
            await backend.UnsealAsync(material, cancellationToken).ConfigureAwait(false);
            return backend;
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    private static async Task<int> ListAsync(CliContext context, EmbeddedSecretBackend backend, string path, CancellationToken cancellationToken)
    {
        var metadata = await backend.History.ReadMetadataAsync(path, cancellationToken).ConfigureAwait(false);
        if (metadata is null)
        {
            await context.Error.WriteLineAsync($"There is no secret at '{path}'.").ConfigureAwait(false);
            return 1;
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"{path}: current version {metadata.CurrentVersion}, keeping {(metadata.MaxVersions > 0 ? metadata.MaxVersions.ToString(CultureInfo.InvariantCulture) : "the default number of")} versions\n");
        text.Append(CultureInfo.InvariantCulture, $"{"VERSION",-8} {"CREATED (UTC)",-20} STATE\n");
        foreach (var v in metadata.Versions.Reverse())
        {
            var state = v.Destroyed ? "destroyed"
                : v.DeletionTime is { } deleted ? $"deleted {Time(deleted)}"
                : v.Version == metadata.CurrentVersion ? "current"
                : "kept";
            text.Append(CultureInfo.InvariantCulture, $"{v.Version,-8} {Time(v.CreatedTime),-20} {state}\n");
        }

        await context.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> RollbackAsync(CliContext context, EmbeddedSecretBackend backend, string path, int version, CancellationToken cancellationToken)
    {
        var old = await backend.History.ReadVersionAsync(path, version, cancellationToken).ConfigureAwait(false);
        if (old.State != KvReadState.Found)
        {
            var why = old.State switch
            {
                KvReadState.SoftDeleted => "it is deleted (undelete it first)",
                KvReadState.Destroyed => "it was destroyed",
                _ => "no such version is kept (never written, or pruned beyond the kept versions)",
            };
            await context.Error.WriteLineAsync($"Cannot roll '{path}' back to version {version}: {why}. 'lyndrix secrets versions {path}' lists what is kept.")
                .ConfigureAwait(false);
            return 1;
        }

        var current = (await backend.History.ReadMetadataAsync(path, cancellationToken).ConfigureAwait(false))!.CurrentVersion;
        try
        {
            var written = await backend.Store.WriteAsync(path, old.Data!, current, cancellationToken).ConfigureAwait(false);
            await context.Out.WriteLineAsync($"{path}: version {version} restored as version {written} (versions up to {current} are kept).").ConfigureAwait(false);
            return 0;
        }
        catch (KvCasMismatchException)
        {
            await context.Error.WriteLineAsync($"'{path}' changed while rolling back (another writer, e.g. the host); nothing was written. Run the command again.")
                .ConfigureAwait(false);
            return 1;
        }
    }

    private static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";
}
