using System.Text.Json.Serialization;

namespace Lyndrix.Core.Backup;

/// <summary>
/// The clear-text header of an archive: what a reader needs before it has the key (the KDF's parameters and salt, where the
/// key came from, a key check). Its SHA-256 is bound into every chunk's associated data, so altering it breaks decryption.
/// </summary>
internal sealed record BackupHeader
{
    [JsonPropertyName("format")] public required int Format { get; init; }

    [JsonPropertyName("kdf")] public string Kdf { get; init; } = "argon2id";

    [JsonPropertyName("argon_time")] public required int ArgonTime { get; init; }

    [JsonPropertyName("argon_mem_kib")] public required int ArgonMemoryKib { get; init; }

    [JsonPropertyName("argon_parallel")] public required int ArgonParallelism { get; init; }

    [JsonPropertyName("salt")] public required string Salt { get; init; }

    [JsonPropertyName("nonce_prefix")] public required string NoncePrefix { get; init; }

    /// <summary><c>master_key</c> (LYNDRIX_MASTER_KEY of the deployment backed up) or <c>passphrase</c> (--passphrase-env).</summary>
    [JsonPropertyName("key_source")] public required string KeySource { get; init; }

    /// <summary>16 bytes derived from the key: tells a wrong passphrase apart from an altered archive.</summary>
    [JsonPropertyName("key_check")] public required string KeyCheck { get; init; }

    [JsonPropertyName("chunk_size")] public required int ChunkSize { get; init; }

    [JsonPropertyName("created_at")] public required DateTimeOffset CreatedAt { get; init; }
}
