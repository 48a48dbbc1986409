namespace Lyndrix.Core.Secrets.Vault;

/// <summary><c>PUT sys/init</c>: the unseal key shares and the root token. Holds secrets; <see cref="ToString"/> does not print them.</summary>
internal sealed class VaultInitResponse
{
    public IReadOnlyList<string> Keys { get; init; } = [];

    public IReadOnlyList<string> KeysBase64 { get; init; } = [];

    public string RootToken { get; init; } = "";

    public override string ToString() => $"VaultInitResponse(root_token=***, keys={Keys.Count} x ***)";
}
