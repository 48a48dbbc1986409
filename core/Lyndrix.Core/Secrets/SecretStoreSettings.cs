using Lyndrix.Core.Configuration;
using Lyndrix.Core.Secrets.KeyFile;

namespace Lyndrix.Core.Secrets;

/// <summary>
/// Settings of the secret area that are not the Vault client's own (those live with the client). A class rather than a
/// record so the master key never appears in a generated <c>ToString</c>.
/// </summary>
internal sealed class SecretStoreSettings
{
    public const string EmbeddedStoreFileName = Embedded.EmbeddedStorePaths.DatabaseFileName;
    public const string DevMasterKeyFileName = "master.key";

    public required string SecurityDir { get; init; }

    public required bool IsDev { get; init; }

    /// <summary><c>VAULT_URL</c>; null selects the embedded backend.</summary>
    public string? VaultUrl { get; init; }

    /// <summary><c>LYNDRIX_MASTER_KEY</c> as configured (not yet checked against the policy).</summary>
    public string? MasterKey { get; init; }

    public required Argon2Parameters Argon { get; init; }

    /// <summary>First wait before re-asking an unreachable backend; doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the running store is checked for a seal or an outage.</summary>
    public TimeSpan WatchdogInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Upper bound of one backend call made by the lifecycle (status, init, unseal, open).</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int RateLimitAttempts { get; init; } = 5;

    public TimeSpan RateLimitWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a module's SetSecret retries after a check-and-set conflict with another writer.</summary>
    public int CasAttempts { get; init; } = 10;

    /// <summary>Versions the embedded store keeps per secret unless the secret sets its own <c>max_versions</c> (KV v2's default).</summary>
    public int EmbeddedMaxVersions { get; init; } = 10;

    public string KeyFilePath => Path.Combine(SecurityDir, VaultKeyFile.FileName);

    public string EmbeddedStorePath => Path.Combine(SecurityDir, EmbeddedStoreFileName);

    public string DevMasterKeyPath => Path.Combine(SecurityDir, DevMasterKeyFileName);

    public static SecretStoreSettings Read(SettingsReader r, HostSettings host) => new()
    {
        SecurityDir = host.SecurityDir,
        IsDev = host.IsDev,
        VaultUrl = r.String("VAULT_URL"),
        MasterKey = r.String("LYNDRIX_MASTER_KEY"),
        Argon = Argon2Parameters.Read(r),
        RetryDelay = r.Seconds("LYNDRIX_VAULT_RETRY_DELAY", 1, 0.001, 3600),
        RetryMaxDelay = r.Seconds("LYNDRIX_VAULT_RETRY_MAX_DELAY", 60, 0.001, 86400),
        WatchdogInterval = r.Seconds("LYNDRIX_VAULT_WATCHDOG_INTERVAL", 15, 0.01, 86400),
        OperationTimeout = r.Seconds("LYNDRIX_VAULT_OPERATION_TIMEOUT", 30, 0.01, 3600),
        RateLimitAttempts = r.Int("LYNDRIX_VAULT_RATE_LIMIT", 5, 1, 100000),
        RateLimitWindow = r.Seconds("LYNDRIX_VAULT_RATE_LIMIT_WINDOW", 60, 0.01, 86400),
        CasAttempts = r.Int("LYNDRIX_SECRET_CAS_ATTEMPTS", 10, 1, 1000),
        EmbeddedMaxVersions = r.Int("LYNDRIX_SECRET_MAX_VERSIONS", 10, 1, 1000),
    };

    public static SecretStoreSettings Load(HostSettings host)
    {
        var r = new SettingsReader(host.Source, host.StorageDir);
        var settings = Read(r, host);
        r.ThrowIfInvalid();
        return settings;
    }

    public override string ToString() =>
        $"SecretStoreSettings(SecurityDir={SecurityDir}, Backend={(VaultUrl is null ? "embedded" : "vault")}, MasterKey={(MasterKey is null ? "unset" : "***")}, {Argon})";
}
