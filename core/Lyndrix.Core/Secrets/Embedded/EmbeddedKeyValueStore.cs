using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>KV v2 semantics over the embedded store file: whole-map versions, check-and-set, delete of all versions.</summary>
internal sealed class EmbeddedKeyValueStore(EmbeddedSecretBackend backend, EmbeddedStoreFile file, TimeProvider time) : IKeyValueStore
{
    public async Task<KvReadResult> ReadAsync(string path, CancellationToken cancellationToken)
    {
        ValidatePath(path);
        var key = backend.RequireDataKey();
        using (await file.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var document = RequireDocument();
            if (!document.Secrets.TryGetValue(path, out var entry))
            {
                return KvReadResult.NotFound;
            }

            return new KvReadResult(KvReadState.Found, Decrypt(key, path, entry), entry.Version);
        }
    }

    public async Task<int> WriteAsync(string path, IReadOnlyDictionary<string, string> data, int? cas, CancellationToken cancellationToken)
    {
        ValidatePath(path);
        ArgumentNullException.ThrowIfNull(data);
        var key = backend.RequireDataKey();
        using (await file.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var document = RequireDocument();
            document.Secrets.TryGetValue(path, out var current);
            var currentVersion = current?.Version ?? 0;
            if (cas is { } expected && expected != currentVersion)
            {
                throw new KvCasMismatchException(path);
            }

            var version = currentVersion + 1;
            var now = time.GetUtcNow();
            var plaintext = JsonSerializer.SerializeToUtf8Bytes(data);
            string sealedValue;
            try
            {
                sealedValue = EmbeddedCipher.Seal(key, plaintext, AssociatedData(path, version));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }

            var secrets = new Dictionary<string, EmbeddedSecretEntry>(document.Secrets, StringComparer.Ordinal)
            {
                [path] = new EmbeddedSecretEntry(version, current?.CreatedTime ?? now, now, sealedValue),
            };
            await file.SaveAsync(new EmbeddedStoreDocument { KeyCheck = document.KeyCheck, Secrets = secrets }, cancellationToken).ConfigureAwait(false);
            return version;
        }
    }

    public async Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        ValidatePath(path);
        _ = backend.RequireDataKey();
        using (await file.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var document = RequireDocument();
            if (!document.Secrets.ContainsKey(path))
            {
                return;
            }

            var secrets = new Dictionary<string, EmbeddedSecretEntry>(document.Secrets, StringComparer.Ordinal);
            secrets.Remove(path);
            await file.SaveAsync(new EmbeddedStoreDocument { KeyCheck = document.KeyCheck, Secrets = secrets }, cancellationToken).ConfigureAwait(false);
        }
    }

    private EmbeddedStoreDocument RequireDocument() =>
        file.Load() ?? throw new InvalidDataException(
            $"The embedded secret store file {file.Path} disappeared while the store was unsealed. Restore it from a backup and restart the host.");

    private IReadOnlyDictionary<string, string> Decrypt(byte[] key, string path, EmbeddedSecretEntry entry)
    {
        byte[] plaintext;
        try
        {
            plaintext = EmbeddedCipher.Open(key, entry.Ciphertext, AssociatedData(path, entry.Version));
        }
        catch (CryptographicException ex)
        {
            throw new InvalidDataException(
                $"Secret '{path}' (version {entry.Version}) in {file.Path} cannot be decrypted: the file was altered. Restore it from a backup.", ex);
        }

        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(plaintext)
                ?? throw new InvalidDataException($"Secret '{path}' holds no fields.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static string AssociatedData(string path, int version) =>
        string.Create(CultureInfo.InvariantCulture, $"lyndrix-embedded-secrets/1 secret\n{path}\n{version}");

    private static void ValidatePath(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 512 || path.StartsWith('/') || path.EndsWith('/') || path.Contains("//", StringComparison.Ordinal)
            || path.Split('/').Any(s => s is "." or "..") || path.Any(char.IsControl))
        {
            throw new ArgumentException($"'{path}' is not a valid secret path: use segments separated by single '/', without '.', '..' or control characters.", nameof(path));
        }
    }
}
