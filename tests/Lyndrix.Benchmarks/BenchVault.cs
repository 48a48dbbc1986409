using Lyndrix.VaultDouble;

namespace Lyndrix.Benchmarks;

/// <summary>The Vault API double as the benchmarks use it: initialized, unsealed, the <c>lyndrix</c> KV v2 mount, and a
/// token under the host's policy.</summary>
internal static class BenchVault
{
    private const string HostPolicy = """
        path "lyndrix/data/*" { capabilities = ["create", "read", "update", "patch", "delete"] }
        path "lyndrix/metadata/*" { capabilities = ["read", "list", "delete"] }
        """;

    public static async Task<(VaultDoubleServer Vault, string Token)> StartAsync()
    {
        var vault = await VaultDoubleServer.StartAsync();
        vault.InitializeAndUnseal();
        vault.EnableKv("lyndrix");
        vault.PutPolicy("lyndrix-host", HostPolicy);
        return (vault, vault.CreateToken(["lyndrix-host"]));
    }
}
