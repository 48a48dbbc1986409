using System.Text.Json.Serialization;

namespace Lyndrix.Core.Secrets.Http;

/// <summary>Body of <c>POST /api/vault/init</c> and <c>/unseal</c>.</summary>
internal sealed class VaultKeyRequest
{
    [JsonPropertyName("key")] public string? Key { get; init; }

    /// <summary>The first-run setup token (<see cref="SetupToken"/>); only an init outside development needs it.</summary>
    [JsonPropertyName("setup_token")] public string? SetupToken { get; init; }

    public override string ToString() => "VaultKeyRequest(key=***, setup_token=***)";
}
