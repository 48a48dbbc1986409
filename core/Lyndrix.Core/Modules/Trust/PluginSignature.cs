using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lyndrix.Core.Modules.Trust;

/// <summary>
/// The detached signature a plugin folder may carry in <see cref="FileName"/>: ECDSA P-256 with SHA-256 (.NET's
/// implementation, IEEE P1363 signature format) over <see cref="PluginFolderDigest.CanonicalBytes"/>, and the id of the
/// key that made it (the first 16 hex digits of the SHA-256 of its public key, SubjectPublicKeyInfo DER).
/// </summary>
internal sealed record PluginSignature
{
    public const string FileName = "plugin.sig";
    public const string AlgorithmName = "ECDSA-P256-SHA256";
    private const int MaxFileBytes = 16 * 1024;

    [JsonPropertyName("format")] public string Format { get; init; } = PluginFolderDigest.Format;

    [JsonPropertyName("algorithm")] public string Algorithm { get; init; } = AlgorithmName;

    [JsonPropertyName("key_id")] public required string KeyId { get; init; }

    [JsonPropertyName("id")] public required string PluginId { get; init; }

    [JsonPropertyName("version")] public required string Version { get; init; }

    [JsonPropertyName("signature")] public required string Signature { get; init; }

    public static string KeyIdOf(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    /// <summary>Loads an ECDSA P-256 key from PEM; refuses other curves and algorithms with a message that says so.</summary>
    public static ECDsa LoadKey(string pemFile, bool requirePrivate)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(pemFile));
            var parameters = key.ExportParameters(false);
            if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new CryptographicException($"{pemFile} holds an EC key on curve {parameters.Curve.Oid.FriendlyName ?? parameters.Curve.Oid.Value}; plugin signatures use P-256 (prime256v1).");
            }

            if (requirePrivate)
            {
                _ = key.ExportParameters(true);
            }

            return key;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new CryptographicException(
                $"{pemFile} is not a usable ECDSA P-256 {(requirePrivate ? "private" : "public")} key in PEM ({ex.Message}). " +
                "Make one with: openssl ecparam -name prime256v1 -genkey -noout -out plugin-signing.pem && openssl ec -in plugin-signing.pem -pubout -out plugin-signing.pub.pem", ex);
        }
    }

    public static PluginSignature Sign(PluginFolderDigest digest, ECDsa key) => new()
    {
        KeyId = KeyIdOf(key),
        PluginId = digest.Id,
        Version = digest.Version,
        Signature = Convert.ToBase64String(key.SignData(digest.CanonicalBytes(), HashAlgorithmName.SHA256)),
    };

    public void WriteTo(string folder) =>
        File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>Reads the folder's signature file: null when there is none; throws <see cref="InvalidDataException"/>
    /// naming the problem when it cannot be used.</summary>
    public static PluginSignature? ReadFrom(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        if (new FileInfo(path).Length > MaxFileBytes)
        {
            throw new InvalidDataException($"{FileName} is larger than {MaxFileBytes} bytes.");
        }

        try
        {
            var signature = JsonSerializer.Deserialize<PluginSignature>(File.ReadAllBytes(path))
                ?? throw new InvalidDataException($"{FileName} is empty.");
            if (signature.Format != PluginFolderDigest.Format || signature.Algorithm != AlgorithmName)
            {
                throw new InvalidDataException($"{FileName} is format '{signature.Format}' / '{signature.Algorithm}'; this host verifies {PluginFolderDigest.Format} / {AlgorithmName}.");
            }

            return signature;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{FileName} is not valid JSON ({ex.Message}).", ex);
        }
    }

    /// <summary>Whether this signature, made by <paramref name="key"/>, covers exactly <paramref name="digest"/>.</summary>
    public bool Verifies(PluginFolderDigest digest, ECDsa key)
    {
        if (PluginId != digest.Id || Version != digest.Version || KeyId != KeyIdOf(key))
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(Signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return key.VerifyData(digest.CanonicalBytes(), bytes, HashAlgorithmName.SHA256);
    }
}
