using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>Settings and backends pointed at a double, with test-sized timeouts and backoff.</summary>
internal static class VaultTestKit
{
    public static VaultSettings Settings(Uri url, string? token = null, string? roleId = null, string? secretId = null, int maxRetries = 2,
        double timeoutSeconds = 5, string? ns = null, string? caFile = null, bool skipVerify = false, double retryWaitMs = 10, string mount = "lyndrix") => new()
    {
        Url = url,
        Mount = mount,
        Token = token,
        RoleId = roleId,
        SecretId = secretId,
        MaxRetries = maxRetries,
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        RetryWait = TimeSpan.FromMilliseconds(retryWaitMs),
        MaxRetryWait = TimeSpan.FromSeconds(5),
        KvUpgradeWait = TimeSpan.FromSeconds(3),
        Namespace = ns,
        CaCertFile = caFile,
        SkipVerify = skipVerify,
    };

    public static VaultSecretBackend Backend(VaultSettings settings, CapturingLoggerProvider logs, TimeProvider? time = null) =>
        new(settings, time ?? TimeProvider.System, logs.CreateLogger<VaultSecretBackend>());

    /// <summary>A double initialized, unsealed and holding an open backend on its root token (as after a first boot).</summary>
    public static async Task<(VaultSecretBackend Backend, string RootToken)> OpenWithRootAsync(VaultDoubleServer vault, CapturingLoggerProvider logs)
    {
        var init = vault.InitializeAndUnseal();
        var backend = Backend(Settings(vault.BaseAddress), logs);
        await backend.OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None);
        return (backend, init.RootToken);
    }

    public const string HostPolicy = """
        path "lyndrix/data/*" { capabilities = ["create", "read", "update", "patch", "delete"] }
        path "lyndrix/metadata/*" { capabilities = ["read", "list", "delete"] }
        """;
}
