using System.Security.Cryptography;

namespace Lyndrix.Core.Secrets;

/// <summary>
/// Random keys the host keeps in the secret store (never in the database or a file), created on first use. Written with
/// check-and-set and read back, so hosts that start together agree on one key; other fields at the path are kept.
/// </summary>
internal static class SecretStoreKeys
{
    private const int Attempts = 10;

    /// <summary>The 32-byte key in <paramref name="field"/> of <paramref name="path"/>, created when missing.</summary>
    public static async Task<byte[]> GetOrCreateAsync(IKeyValueStore store, string path, string field, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var read = await store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
            if (read.State == KvReadState.Found && read.Data!.TryGetValue(field, out var stored))
            {
                return Convert.FromBase64String(stored);
            }

            var data = read.State == KvReadState.Found ? new Dictionary<string, string>(read.Data!, StringComparer.Ordinal) : new(StringComparer.Ordinal);
            data[field] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            try
            {
                await store.WriteAsync(path, data, read.Version, cancellationToken).ConfigureAwait(false);
            }
            catch (KvCasMismatchException) when (attempt < Attempts)
            {
                // Another host wrote first: read theirs.
            }
        }
    }
}
