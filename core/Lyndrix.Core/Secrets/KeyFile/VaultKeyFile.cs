using System.Security.Cryptography;

namespace Lyndrix.Core.Secrets.KeyFile;

/// <summary>
/// <c>vault_keys.enc</c> on disk: reads and decrypts it, writes it atomically and owner-only, never overwrites it by accident.
/// Argon2id makes each operation take a noticeable fraction of a second, so the work runs off the caller's thread.
/// </summary>
internal sealed class VaultKeyFile(string path, Argon2Parameters parameters, AtomicFileWriter? writer = null)
{
    public const string FileName = "vault_keys.enc";

    private readonly AtomicFileWriter _writer = writer ?? AtomicFileWriter.Default;

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public Argon2Parameters Parameters { get; } = parameters;

    public bool Exists => File.Exists(Path);

    private string Source => $"the key file {Path}";

    /// <summary>Decrypts the file and returns the exact plaintext bytes (for <c>lyndrix keyfile decrypt</c>), after checking
    /// that they hold key material.</summary>
    public async Task<byte[]> DecryptAsync(string masterKey, CancellationToken cancellationToken, bool allowWeakKey = false)
    {
        if (!allowWeakKey)
        {
            MasterKeyPolicy.Ensure(masterKey);
        }

        var blob = await ReadBytesAsync(cancellationToken).ConfigureAwait(false);
        if (blob.Length >= KeyFileCodec.HeaderLength && blob.Length - KeyFileCodec.HeaderLength < KeyMaterialJson.MinimumLength)
        {
            // Plaintext and ciphertext have the same length, and no key material serializes shorter than this.
            throw new KeyFileException(KeyFileProblem.Truncated,
                $"The key file {Path} is truncated: its {blob.Length - KeyFileCodec.HeaderLength} bytes of ciphertext are too few to hold " +
                $"key material (at least {KeyMaterialJson.MinimumLength}). Restore it from a backup.");
        }

        var plaintext = await Task.Run(() => KeyFileCodec.Decrypt(blob, masterKey, Parameters, Source), cancellationToken).ConfigureAwait(false);
        try
        {
            _ = KeyMaterialJson.Parse(plaintext, Source);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw;
        }

        return plaintext;
    }

    public async Task<KeyMaterial> ReadAsync(string masterKey, CancellationToken cancellationToken, bool allowWeakKey = false)
    {
        var plaintext = await DecryptAsync(masterKey, cancellationToken, allowWeakKey).ConfigureAwait(false);
        try
        {
            return KeyMaterialJson.Parse(plaintext, Source);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Writes a new key file; fails with <see cref="KeyFileProblem.AlreadyExists"/> rather than replace one.</summary>
    public Task CreateAsync(KeyMaterial material, string masterKey, CancellationToken cancellationToken) =>
        WriteAsync(material, masterKey, overwrite: false, cancellationToken);

    /// <summary>Replaces the key file atomically (the previous one survives any failure).</summary>
    public Task ReplaceAsync(KeyMaterial material, string masterKey, CancellationToken cancellationToken) =>
        WriteAsync(material, masterKey, overwrite: true, cancellationToken);

    /// <summary>Re-encrypts the file under a new master key with a new salt and nonce. The old key may be weak (so an operator
    /// can leave a weak key behind); the new one must follow the policy.</summary>
    /// <returns>How many unseal keys the file holds.</returns>
    public async Task<int> RekeyAsync(string oldMasterKey, string newMasterKey, CancellationToken cancellationToken)
    {
        MasterKeyPolicy.Ensure(newMasterKey, "new master key");
        var material = await ReadAsync(oldMasterKey, cancellationToken, allowWeakKey: true).ConfigureAwait(false);
        await WriteAsync(material, newMasterKey, overwrite: true, cancellationToken).ConfigureAwait(false);
        return material.UnsealKeys.Count;
    }

    /// <summary>Checks, without writing anything, that a key file could be created here (the folder exists or can be made,
    /// and accepts files). Called before a backend is initialized, because init cannot be undone.</summary>
    public void EnsureWritable()
    {
        if (Exists)
        {
            throw AlreadyExists();
        }

        var directory = System.IO.Path.GetDirectoryName(Path)!;
        var probe = System.IO.Path.Combine(directory, $".{FileName}.probe-{Guid.NewGuid():N}");
        try
        {
            AtomicFileWriter.EnsureDirectory(directory);
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException(KeyFileProblem.WriteFailed,
                $"The key file cannot be written in {directory}: {ex.Message} Nothing was initialized. Make SECURITY_DIR writable " +
                "by the host's user (and check free space), then try again.", ex);
        }
    }

    private async Task WriteAsync(KeyMaterial material, string masterKey, bool overwrite, CancellationToken cancellationToken)
    {
        MasterKeyPolicy.Ensure(masterKey);
        if (!overwrite && Exists)
        {
            throw AlreadyExists();
        }

        var plaintext = KeyMaterialJson.Serialize(material);
        byte[] blob;
        try
        {
            blob = await Task.Run(() => KeyFileCodec.Encrypt(plaintext, masterKey, Parameters), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        try
        {
            await _writer.WriteAsync(Path, blob, overwrite, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) when (!overwrite && Exists)
        {
            throw AlreadyExists();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException(KeyFileProblem.WriteFailed,
                $"The key file {Path} could not be written: {ex.Message} " +
                (overwrite ? "The previous file is unchanged. " : "") +
                "Make SECURITY_DIR writable by the host's user and check free space, then try again.", ex);
        }
    }

    private KeyFileException AlreadyExists() =>
        new(KeyFileProblem.AlreadyExists,
            $"The key file {Path} already exists and is never overwritten by an initialization: it may be the only copy of the keys " +
            "of an existing secret store. If it belongs to a store you no longer use, move it away (keep a backup) and try again.");

    private async Task<byte[]> ReadBytesAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(Path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new KeyFileException(KeyFileProblem.Missing,
                $"There is no key file at {Path}. It is written when the secret store is initialized; if this store was initialized " +
                "before, restore vault_keys.enc from the backup taken with the store's data (and check SECURITY_DIR).", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException(KeyFileProblem.Unreadable,
                $"The key file {Path} cannot be read: {ex.Message} Check that the host's user owns it and may read it.", ex);
        }
    }
}
