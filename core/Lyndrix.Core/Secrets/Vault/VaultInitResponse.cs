namespace Lyndrix.Core.Secrets.Vault;

/// <summary><c>PUT sys/init</c>: the unseal key shares (Shamir seal) or recovery key shares (auto-unseal seal) and the root
/// token. Holds secrets; <see cref="ToString"/> does not print them.</summary>
internal sealed class VaultInitResponse
{
    public IReadOnlyList<string> Keys { get; init; } = [];

    public IReadOnlyList<string> KeysBase64 { get; init; } = [];

    public IReadOnlyList<string> RecoveryKeys { get; init; } = [];

    public IReadOnlyList<string> RecoveryKeysBase64 { get; init; } = [];

    public string RootToken { get; init; } = "";

    public override string ToString() => $"VaultInitResponse(root_token=***, keys={Keys.Count} x ***, recovery_keys={RecoveryKeys.Count} x ***)";
}
