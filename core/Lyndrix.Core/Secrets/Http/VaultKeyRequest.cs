using System.Text.Json.Serialization;

namespace Lyndrix.Core.Secrets.Http;

/// <summary>Body of <c>POST /api/vault/init</c> and <c>/unseal</c>.</summary>
internal sealed class VaultKeyRequest
{
    [JsonPropertyName("key")] public string? Key { get; init; }

    public override string ToString() => "VaultKeyRequest(key=***)";
}
