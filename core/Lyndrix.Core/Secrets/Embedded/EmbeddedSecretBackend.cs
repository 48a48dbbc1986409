using System.Security.Cryptography;
using System.Text;
using Lyndrix.Core.Secrets.KeyFile;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// The secret backend used when <c>VAULT_URL</c> is not set: a file under SECURITY_DIR whose secrets are encrypted with a
/// random 32-byte data key. The data key is the embedded store's "root token": it lives only in <c>vault_keys.enc</c>
/// (encrypted with the master key) and in memory while unsealed. Same lifecycle as Vault: uninitialized (neither file
/// exists) → sealed (data key not in memory) → unsealed.
/// </summary>
internal sealed class EmbeddedSecretBackend : ISecretBackend
{
    public const string BackendKind = "embedded";

    private const string KeyCheckPlaintext = "lyndrix-embedded-secrets key check";
    private const string KeyCheckAssociatedData = "lyndrix-embedded-secrets/1 key_check";

    private readonly string _keyFilePath;
    private readonly TimeProvider _time;
    private volatile byte[]? _dataKey;

    public EmbeddedSecretBackend(string keyFilePath, EmbeddedStoreFile file, TimeProvider time)
    {
        _keyFilePath = Path.GetFullPath(keyFilePath);
        File = file;
        _time = time;
        Store = new EmbeddedKeyValueStore(this, file, time);
    }

    public static EmbeddedSecretBackend Create(SecretStoreSettings settings, TimeProvider time) =>
        new(settings.KeyFilePath, new EmbeddedStoreFile(settings.EmbeddedStorePath), time);

    public string Kind => BackendKind;

    public IKeyValueStore Store { get; }

    internal EmbeddedStoreFile File { get; }

    private bool IsInitialized => System.IO.File.Exists(_keyFilePath) || File.Exists;

    public Task<SecretBackendStatus> GetStatusAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new SecretBackendStatus(IsInitialized, _dataKey is null, "embedded/1"));

    public async Task<KeyMaterial> InitializeAsync(CancellationToken cancellationToken)
    {
        using (await File.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            if (IsInitialized)
            {
                throw new InvalidOperationException(
                    $"The embedded secret store is already initialized ({(System.IO.File.Exists(_keyFilePath) ? _keyFilePath : File.Path) } exists).");
            }

            // Nothing is written here: the caller stores the key material first, and the first unseal creates the store file.
            return new KeyMaterial(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), []);
        }
    }

    public async Task<SecretBackendStatus> UnsealAsync(KeyMaterial material, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(material);
        var key = DecodeDataKey(material);
        using (await File.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!IsInitialized)
            {
                throw new InvalidOperationException("The embedded secret store is not initialized; initialize it before unsealing.");
            }

            var document = File.Load();
            if (document is null)
            {
                await File.SaveAsync(new EmbeddedStoreDocument { KeyCheck = EmbeddedCipher.Seal(key, Encoding.UTF8.GetBytes(KeyCheckPlaintext), KeyCheckAssociatedData) },
                    cancellationToken).ConfigureAwait(false);
            }
            else
            {
                try
                {
                    _ = EmbeddedCipher.Open(key, document.KeyCheck, KeyCheckAssociatedData);
                }
                catch (CryptographicException ex)
                {
                    throw new SecretBackendUnsealRejectedException(
                        $"The data key in {_keyFilePath} does not open {File.Path}: the two files come from different installations " +
                        "(or the store file was altered). Restore the matching pair of files from the same backup.", ex);
                }
            }

            _dataKey = key;
        }

        return await GetStatusAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task OpenAsync(KeyMaterial? material, CancellationToken cancellationToken)
    {
        // No tokens and no mounts: an unsealed embedded store is open.
        _ = RequireDataKey();
        return Task.CompletedTask;
    }

    /// <summary>Forgets the data key, as <c>vault operator seal</c> would. The next unseal needs the master key again.</summary>
    public void Seal() => _dataKey = null;

    internal byte[] RequireDataKey() =>
        _dataKey ?? throw new SecretBackendSealedException(
            "The embedded secret store is sealed: its data key is not in memory. Unseal it with the master key (set LYNDRIX_MASTER_KEY, " +
            "or POST /api/vault/unseal, or 'lyndrix vault unseal').");

    private static byte[] DecodeDataKey(KeyMaterial material)
    {
        try
        {
            var key = Convert.FromBase64String(material.RootToken);
            if (key.Length == 32)
            {
                return key;
            }
        }
        catch (FormatException)
        {
        }

        throw new SecretBackendUnsealRejectedException(
            "The key file does not hold an embedded-store data key (its root_token is not a base64 32-byte key). It was probably " +
            "written for HashiCorp Vault: set VAULT_URL to use that Vault, or point SECURITY_DIR at the embedded store's folder.");
    }
}
