using Lyndrix.Core.Configuration;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;

namespace Lyndrix.Core.Tests.Secrets.Support;

/// <summary>Fast settings for tests: cheap Argon2 parameters, millisecond backoffs and watchdog.</summary>
internal static class SecretTestSettings
{
    public const string MasterKey = "correct horse battery staple";
    public const string OtherKey = "another strong passphrase";

    public static readonly Argon2Parameters FastArgon = new(1, 64, 1);

    public static SecretStoreSettings For(string securityDir, string? masterKey = MasterKey, bool dev = false, string? vaultUrl = null,
        TimeSpan? retryDelay = null, TimeSpan? retryMaxDelay = null) => new()
    {
        SecurityDir = securityDir,
        IsDev = dev,
        MasterKey = masterKey,
        VaultUrl = vaultUrl,
        Argon = FastArgon,
        RetryDelay = retryDelay ?? TimeSpan.FromMilliseconds(20),
        RetryMaxDelay = retryMaxDelay ?? TimeSpan.FromMilliseconds(100),
        WatchdogInterval = TimeSpan.FromMilliseconds(50),
        OperationTimeout = TimeSpan.FromSeconds(5),
        CasAttempts = 50,
    };

    public const string AdminPassword = "Secrets-Test-Adm-Pw-8d1f";

    /// <summary>Environment for a whole host booted by <c>LyndrixApp.Build</c> in a temp folder.</summary>
    public static Dictionary<string, string> HostEnvironment(string root, string? masterKey, string envType = "production") => new()
    {
        ["ENV_TYPE"] = envType,
        ["PORT"] = "0",
        ["STORAGE_DIR"] = Path.Combine(root, "storage"),
        ["SECURITY_DIR"] = Path.Combine(root, "security"),
        ["PLUGINS_DIR"] = Path.Combine(root, "plugins"),
        ["LOGS_DIR"] = Path.Combine(root, "logs"),
        ["LOG_LEVEL"] = "DEBUG",
        ["LYNDRIX_BOOT_STEP_TIMEOUT"] = "30",
        ["LYNDRIX_ARGON_TIME"] = "1",
        ["LYNDRIX_ARGON_MEM"] = "64",
        ["LYNDRIX_ARGON_PARALLEL"] = "1",
        ["LYNDRIX_VAULT_RETRY_DELAY"] = "0.02",
        ["LYNDRIX_VAULT_RETRY_MAX_DELAY"] = "0.1",
        ["LYNDRIX_VAULT_WATCHDOG_INTERVAL"] = "0.05",
        ["LYNDRIX_VAULT_OPERATION_TIMEOUT"] = "5",
        ["LYNDRIX_MASTER_KEY"] = masterKey ?? "",

        // Outside dev the IAM area refuses default account passwords.
        ["LYNDRIX_ADMIN_PASSWORD"] = AdminPassword,
        ["LYNDRIX_BOT_PASSWORD"] = "Secrets-Test-B0t-Pw-3c9e",
    };

    public static HostSettings Host(Dictionary<string, string> env) =>
        HostSettings.Load(EnvironmentConfigSource.FromValues(env), env["STORAGE_DIR"]);
}
