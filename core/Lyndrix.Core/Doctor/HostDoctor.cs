using System.Data.Common;
using Dapper;
using Lyndrix.Core.Audit;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Data;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Lifecycle;
using Lyndrix.Core.Secrets.Vault;

namespace Lyndrix.Core.Doctor;

/// <summary>
/// The original's "after restarts, verify" list and its "if Vault authentication fails" checks, run inside a host against its
/// live services: the secret store (state, mount, what the token may do, the master key against <c>vault_keys.enc</c>), the
/// database (connects, schema current), a test login through each provider of the chain, the plugins and the accounts isolated
/// ones run under, the audit chain.
/// Nothing is changed except one probe secret at <see cref="ProbePath"/>, written and removed again.
/// </summary>
internal sealed class HostDoctor(
    SecretLifecycle lifecycle,
    ISecretBackend backend,
    IDatabaseConnectionSource database,
    DatabaseStatus databaseStatus,
    ISchemaMigrator migrator,
    AuthProviderChain chain,
    IAuthProviderRegistry providers,
    AuthSettings auth,
    LoginThrottle throttle,
    PluginRuntime plugins,
    AuditTrailVerifier audit)
{
    public const string ProbePath = "core/doctor-probe";

    /// <summary>The folder the probe secret lives in: listing it proves the token may list.</summary>
    private const string ProbeFolder = "core/";

    private const string DataPolicyLine = "path \"lyndrix/data/*\" { capabilities = [\"create\", \"read\", \"update\", \"patch\", \"delete\"] }";
    private const string MetadataPolicyLine = "path \"lyndrix/metadata/*\" { capabilities = [\"read\", \"list\", \"delete\"] }";

    public async Task<DoctorReport> RunAsync(string? login, string? password, string client, CancellationToken cancellationToken)
    {
        var checks = new List<DoctorCheck>();
        var storeOpen = await SecretStoreAsync(checks, cancellationToken).ConfigureAwait(false);
        checks.Add(await MasterKeyAsync(cancellationToken).ConfigureAwait(false));
        checks.Add(storeOpen
            ? await SecretAccessAsync(cancellationToken).ConfigureAwait(false)
            : DoctorCheck.Skip("secret_access", "The secret store is not open, so what the host's token may do cannot be tried."));
        checks.AddRange(await DatabaseAsync(cancellationToken).ConfigureAwait(false));
        checks.AddRange(await LoginsAsync(login, password, client, cancellationToken).ConfigureAwait(false));
        checks.Add(Plugins());
        checks.Add(PluginAccountCheck.Run(plugins.List()));
        checks.Add(databaseStatus.IsConnected && storeOpen
            ? await AuditAsync(cancellationToken).ConfigureAwait(false)
            : DoctorCheck.Skip("audit_trail", "The audit trail needs the database and the secret store."));
        return new DoctorReport(checks);
    }

    private async Task<bool> SecretStoreAsync(List<DoctorCheck> checks, CancellationToken cancellationToken)
    {
        var kind = lifecycle.BackendKind;
        SecretBackendStatus status;
        try
        {
            status = await lifecycle.ProbeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            checks.Add(DoctorCheck.Failed("secret_store", $"The {kind} secret store does not answer: {ex.Message}",
                kind == "vault" ? "Check that Vault runs and VAULT_URL, VAULT_CACERT and the network reach it; the host retries on its own." :
                    "Check SECURITY_DIR: the embedded store's files must be readable by the host."));
            checks.Add(DoctorCheck.Skip("secret_mount", "The secret store does not answer."));
            return false;
        }

        if (!status.Initialized)
        {
            checks.Add(DoctorCheck.Failed("secret_store", $"The {kind} secret store is not initialized.",
                "Initialize it: 'lyndrix vault init' (or set LYNDRIX_MASTER_KEY and restart for auto-init)."));
            checks.Add(DoctorCheck.Skip("secret_mount", "The secret store is not initialized."));
            return false;
        }

        if (status.Sealed)
        {
            checks.Add(DoctorCheck.Failed("secret_store", $"The {kind} secret store is sealed.",
                "Unseal it: 'lyndrix vault unseal' with the master key (or set LYNDRIX_MASTER_KEY so the host unseals it on its own)."));
            checks.Add(DoctorCheck.Skip("secret_mount", "The secret store is sealed."));
            return false;
        }

        checks.Add(DoctorCheck.Passed("secret_store", $"The {kind} secret store is initialized, unsealed and reachable."));
        var snapshot = lifecycle.Snapshot;
        if (snapshot.UiState == SecretStoreUiState.Ready && snapshot.Connected)
        {
            checks.Add(DoctorCheck.Passed("secret_mount", kind == "vault"
                ? "The mount lyndrix/ is a KV version 2 engine and the host's token opened it."
                : "The embedded store is open (it is KV version 2 by design)."));
            return true;
        }

        var failure = snapshot.LastFailure;
        checks.Add(DoctorCheck.Failed("secret_mount",
            failure is null ? $"The secret store is not open yet (state {snapshot.UiState})." : $"The secret store did not open: {failure.Message}",
            failure?.Topic == Lyndrix.Sdk.Events.CoreTopics.VaultAuthFailed
                ? "The store refused the host's token: check VAULT_TOKEN or the AppRole, and that its policies allow reading the mount " +
                  "(path \"sys/internal/ui/mounts/lyndrix\" { capabilities = [\"read\"] }) and " + DataPolicyLine + " and " + MetadataPolicyLine + "."
                : "See GET /api/boot and the log for what the secret store reported."));
        return false;
    }

    private async Task<DoctorCheck> MasterKeyAsync(CancellationToken cancellationToken)
    {
        var opens = await lifecycle.CheckMasterKeyAsync(cancellationToken).ConfigureAwait(false);
        return opens switch
        {
            null => DoctorCheck.Skip("master_key", "No master key is configured or there is no vault_keys.enc: the store is unsealed by hand."),
            true => DoctorCheck.Passed("master_key", "The master key decrypts vault_keys.enc."),
            false => DoctorCheck.Failed("master_key", "The master key does not decrypt vault_keys.enc: it is not the key the file was written with, or the file was altered.",
                "Set LYNDRIX_MASTER_KEY (and LYNDRIX_ARGON_* if changed) to the values vault_keys.enc was written with, or restore the file from a backup."),
        };
    }

    /// <summary>What the token may do, tried for real on a probe secret: write, read, read metadata, delete. The first refusal
    /// names the missing capability and the policy line that grants it.</summary>
    private async Task<DoctorCheck> SecretAccessAsync(CancellationToken cancellationToken)
    {
        var store = backend.Store;
        var steps = new (string Operation, string Capability, string Line, Func<Task> Run)[]
        {
            ("write", "create/update on lyndrix/data/" + ProbePath, DataPolicyLine,
                () => store.WriteAsync(ProbePath, new Dictionary<string, string> { ["probe"] = "doctor" }, null, cancellationToken)),
            ("read", "read on lyndrix/data/" + ProbePath, DataPolicyLine, () => store.ReadAsync(ProbePath, cancellationToken)),
            ("read metadata", "read on lyndrix/metadata/" + ProbePath, MetadataPolicyLine,
                () => store is IKeyValueHistory history ? history.ReadMetadataAsync(ProbePath, cancellationToken) : Task.CompletedTask),
            ("list", "list on lyndrix/metadata/" + ProbeFolder, MetadataPolicyLine,
                () => store is IKeyValueListing listing ? listing.ListFolderAsync(ProbeFolder, cancellationToken) : Task.CompletedTask),
            ("delete", "delete on lyndrix/metadata/" + ProbePath, MetadataPolicyLine, () => store.DeleteAsync(ProbePath, cancellationToken)),
        };
        foreach (var (operation, capability, line, run) in steps)
        {
            try
            {
                await run().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsPermissionDenied(ex))
            {
                return DoctorCheck.Failed("secret_access", $"The host's token may not {operation} secrets: it lacks {capability}.",
                    $"Add to the host token's policy: {line}");
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return DoctorCheck.Failed("secret_access", $"Trying to {operation} a probe secret failed: {ex.Message}", "See the log for the secret store's answer.");
            }
        }

        return DoctorCheck.Passed("secret_access", "The host's token may write, read, inspect, list and delete secrets under lyndrix/.");
    }

    private static bool IsPermissionDenied(Exception ex) =>
        ex is SecretBackendAuthException || ex is VaultApiException { StatusCode: 403 } || ex.InnerException is { } inner && IsPermissionDenied(inner);

    private async Task<IEnumerable<DoctorCheck>> DatabaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is DbException or DatabaseUnavailableException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            return
            [
                DoctorCheck.Failed("database", $"The database ({database.Description}) does not connect: {databaseStatus.Detail ?? ex.GetType().Name}",
                    "Check that the server runs and DB_HOST, DB_PORT, DB_USER, DB_PASSWORD (or db_password in the secret store) and DB_NAME are right; " +
                    "the host reconnects on its own."),
                DoctorCheck.Skip("database_schema", "The database does not connect."),
            ];
        }

        var applied = await migrator.ListAppliedAsync(DatabaseModule.CoreSchemaOwner, cancellationToken).ConfigureAwait(false);
        var missing = CoreSchema.Migrations.Where(m => !applied.Any(a => a.Version == m.Version && a.IsComplete)).ToArray();
        return
        [
            DoctorCheck.Passed("database", $"The database ({database.Description}) connects."),
            missing.Length == 0
                ? DoctorCheck.Passed("database_schema", $"The schema is current ({CoreSchema.Migrations.Count} core migrations applied).")
                : DoctorCheck.Failed("database_schema",
                    $"The schema is behind: {string.Join(", ", missing.Select(m => $"#{m.Version} '{m.Name}'"))} not applied.",
                    "Restart the host: it applies migrations when it connects; if one fails, its log names the statement."),
        ];
    }

    private async Task<IEnumerable<DoctorCheck>> LoginsAsync(string? login, string? password, string client, CancellationToken cancellationToken)
    {
        var result = new List<DoctorCheck>();
        foreach (var status in chain.Describe().Where(s => s.Position > 0))
        {
            var name = "login:" + status.Id;
            if (status.State != AuthProviderStatus.Active)
            {
                result.Add(DoctorCheck.Failed(name, $"'{status.Id}' is listed in LYNDRIX_AUTH_PROVIDERS but is {status.State.Replace('_', ' ')}.",
                    status.State == AuthProviderStatus.NotRegistered
                        ? "Enable the plugin that provides it, or remove it from LYNDRIX_AUTH_PROVIDERS."
                        : "Configure it (its LYNDRIX_* settings, or its secret in the store), or remove it from LYNDRIX_AUTH_PROVIDERS."));
                continue;
            }

            if (status.IsSso)
            {
                result.Add(DoctorCheck.Skip(name, $"'{status.Id}' signs in through the browser: open /api/auth/sso/{status.Id}/start to try it."));
                continue;
            }

            if (string.IsNullOrEmpty(login) || string.IsNullOrEmpty(password))
            {
                result.Add(DoctorCheck.Skip(name, "No test login: pass --login USER (the password from a prompt or --password-env NAME)."));
                continue;
            }

            result.Add(await TryLoginAsync(name, status.Id, login, password, client, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    private async Task<DoctorCheck> TryLoginAsync(string name, string id, string login, string password, string client, CancellationToken cancellationToken)
    {
        // The test login counts like any other, so this endpoint is no way around the throttle.
        var userKey = UserNames.ThrottleKey(login);
        if (!throttle.IsAllowed(userKey, client, out var retryAfter))
        {
            return DoctorCheck.Warning(name, $"Test logins for '{login}' are throttled for {(int)retryAfter.TotalSeconds}s.", "Wait, then run the doctor again.");
        }

        if (!providers.TryGet(id, out var provider, out _))
        {
            return DoctorCheck.Failed(name, $"'{id}' went away while the doctor ran.", "Run the doctor again.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(auth.ProviderTimeout);
        try
        {
            var identity = await provider.AuthenticateAsync(login, password, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            if (identity is not null)
            {
                return DoctorCheck.Passed(name, $"'{id}' accepted the test login of '{login}'.");
            }

            throttle.Failed(userKey, client);
            return DoctorCheck.Failed(name, $"'{id}' refused the test login of '{login}'.",
                "Check the user and password; for a directory, its bind settings and user filter.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DoctorCheck.Failed(name, $"'{id}' did not answer within {auth.ProviderTimeout.TotalSeconds:0}s.",
                "Check that the provider's server is reachable from the host (LYNDRIX_AUTH_PROVIDER_TIMEOUT bounds the wait).");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return DoctorCheck.Failed(name, $"'{id}' failed: {SecretScrubber.Describe(ex, password)}",
                "Check the provider's settings and that its server is reachable from the host.");
        }
    }

    private DoctorCheck Plugins()
    {
        var list = plugins.List();
        var unwell = list.Where(p => p.Enabled && p.State != PluginState.Active).ToArray();
        if (unwell.Length > 0)
        {
            return DoctorCheck.Failed("plugins",
                $"{unwell.Length} enabled plugin(s) are not active: " + string.Join("; ", unwell.Select(p => $"{p.Id} {PluginStates.Name(p.State)}{(p.Reason is null ? "" : ": " + p.Reason)}")),
                "'lyndrix plugins list' shows why; fix the cause, then 'lyndrix plugins reload ID'.");
        }

        return DoctorCheck.Passed("plugins", $"{list.Count(p => p.Enabled)} enabled plugin(s), all active.");
    }

    private async Task<DoctorCheck> AuditAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (result, _) = await audit.RunAsync(cancellationToken).ConfigureAwait(false);
            return result.Intact
                ? DoctorCheck.Passed("audit_trail", $"The audit chain is intact ({result.Checked} record(s)).")
                : DoctorCheck.Failed("audit_trail", $"The audit chain is broken at record #{result.BrokenAt}: {result.Problem}",
                    "Someone with access to the database changed the trail: treat it as an incident; keep a copy of audit_log and the backups.");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return DoctorCheck.Warning("audit_trail", $"The audit chain could not be verified: {ex.GetType().Name}.", "Run 'lyndrix audit verify' when the database answers.");
        }
    }
}
