using System.Security.Cryptography;
using Lyndrix.Core.Secrets.KeyFile;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// Converts a format 1 <c>embedded_secrets.json</c> into the SQLite store: every secret is decrypted first (a file that does
/// not decrypt completely is refused), the records are copied byte for byte into a new database built beside the target in
/// one transaction, read back and compared, and only then renamed into place. The old file is kept as
/// <c>embedded_secrets.json.migrated</c> until the next successful start. A failure at any step leaves the old file as it
/// was and no database behind.
/// </summary>
internal static class EmbeddedStoreMigration
{
    public static async Task<EmbeddedStoreHeader> MigrateAsync(EmbeddedStorePaths paths, byte[] key, EmbeddedStoreMark mark, CancellationToken cancellationToken)
    {
        var legacy = new EmbeddedLegacyStoreFile(paths.LegacyFile);
        var (document, hash) = legacy.Load();
        using var aead = EmbeddedCipher.NewAead(key);
        var keyCheck = Decode(document.KeyCheck, legacy.Path, "key_check");
        if (!EmbeddedCipher.IsKeyCheck(aead, keyCheck))
        {
            throw new SecretBackendUnsealRejectedException(
                $"The data key in {paths.KeyFile} does not open {legacy.Path}: the two files come from different installations (or the store " +
                "file was altered). Restore the matching pair of files from the same backup. Nothing was migrated.");
        }

        var records = new List<(string Path, EmbeddedSecretEntry Entry, byte[] Sealed, byte[] Plaintext)>(document.Secrets.Count);
        try
        {
            foreach (var (path, entry) in document.Secrets)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    EmbeddedKeyValueStore.ValidatePath(path);
                }
                catch (ArgumentException ex)
                {
                    throw Refused(legacy.Path, $"it holds an invalid secret path ({ex.Message})", ex);
                }

                var sealedValue = Decode(entry.Ciphertext, legacy.Path, $"secret '{path}'");
                records.Add((path, entry, sealedValue, Open(aead, sealedValue, path, entry.Version, legacy.Path)));
            }

            var storeId = Guid.NewGuid().ToString("N");
            var header = new EmbeddedStoreHeader(storeId, keyCheck, EmbeddedStoreHeader.Ready, 1, hash);
            var temp = paths.Database + ".migrating";
            var markExisted = mark.Exists;
            EmbeddedStoreDatabase.DeleteWithCompanions(temp);
            try
            {
                EmbeddedStoreDatabase.Create(temp, header, wal: false);
                Copy(temp, records);
                Verify(temp, aead, records);
                await mark.WriteAsync(storeId, header.Sequence, cancellationToken).ConfigureAwait(false);
                File.Move(temp, paths.Database, overwrite: false);
            }
            catch
            {
                EmbeddedStoreDatabase.DeleteWithCompanions(temp);
                if (!markExisted)
                {
                    TryDelete(mark.Path);
                }

                throw;
            }

            DirectorySync.TryFlush(Path.GetDirectoryName(paths.Database)!);
            File.Move(legacy.Path, legacy.MigratedPath, overwrite: true);
            DirectorySync.TryFlush(Path.GetDirectoryName(paths.Database)!);
            return header;
        }
        finally
        {
            foreach (var record in records)
            {
                CryptographicOperations.ZeroMemory(record.Plaintext);
            }
        }
    }

    private static void Copy(string database, List<(string Path, EmbeddedSecretEntry Entry, byte[] Sealed, byte[] Plaintext)> records)
    {
        using var connection = EmbeddedStoreDatabase.Open(database);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var secret = connection.CreateCommand();
        secret.Transaction = transaction;
        secret.CommandText = "INSERT INTO secrets (path, current_version, max_versions, created_time, updated_time) VALUES ($path, $version, 0, $created, $updated)";
        using var version = connection.CreateCommand();
        version.Transaction = transaction;
        version.CommandText = "INSERT INTO versions (path, version, created_time, deletion_time, destroyed, ciphertext) VALUES ($path, $version, $updated, NULL, 0, $ciphertext)";
        foreach (var (path, entry, sealedValue, _) in records)
        {
            secret.Parameters.Clear();
            secret.Parameters.AddWithValue("$path", path);
            secret.Parameters.AddWithValue("$version", entry.Version);
            secret.Parameters.AddWithValue("$created", EmbeddedKeyValueStore.Format(entry.CreatedTime));
            secret.Parameters.AddWithValue("$updated", EmbeddedKeyValueStore.Format(entry.UpdatedTime));
            secret.ExecuteNonQuery();
            version.Parameters.Clear();
            version.Parameters.AddWithValue("$path", path);
            version.Parameters.AddWithValue("$version", entry.Version);
            version.Parameters.AddWithValue("$updated", EmbeddedKeyValueStore.Format(entry.UpdatedTime));
            version.Parameters.AddWithValue("$ciphertext", sealedValue);
            version.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>Reads every secret back from the new database and checks it decrypts to the same bytes as before.</summary>
    private static void Verify(string database, System.Security.Cryptography.AesGcm aead,
        List<(string Path, EmbeddedSecretEntry Entry, byte[] Sealed, byte[] Plaintext)> records)
    {
        using var connection = EmbeddedStoreDatabase.Open(database);
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT (SELECT count(*) FROM secrets), (SELECT count(*) FROM versions)";
        using (var reader = count.ExecuteReader())
        {
            reader.Read();
            if (reader.GetInt64(0) != records.Count || reader.GetInt64(1) != records.Count)
            {
                throw new InvalidDataException($"The migrated store {database} holds a different number of secrets than the file it came from.");
            }
        }

        using var read = connection.CreateCommand();
        read.CommandText = "SELECT version, ciphertext FROM versions WHERE path = $path ORDER BY version DESC LIMIT 1";
        var parameter = read.Parameters.Add("$path", SqliteType.Text);
        foreach (var (path, entry, _, expected) in records)
        {
            parameter.Value = path;
            using var reader = read.ExecuteReader();
            if (!reader.Read() || reader.GetInt32(0) != entry.Version)
            {
                throw new InvalidDataException($"Secret '{path}' did not read back from the migrated store {database}.");
            }

            var plaintext = Open(aead, reader.GetFieldValue<byte[]>(1), path, entry.Version, database);
            try
            {
                if (!CryptographicOperations.FixedTimeEquals(plaintext, expected))
                {
                    throw new InvalidDataException($"Secret '{path}' read back differently from the migrated store {database}.");
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
    }

    private static byte[] Open(System.Security.Cryptography.AesGcm aead, byte[] sealedValue, string path, int version, string file)
    {
        try
        {
            var plaintext = new byte[EmbeddedCipher.PlaintextLength(sealedValue.Length)];
            EmbeddedCipher.Open(aead, sealedValue, EmbeddedCipher.SecretAssociatedData(path, version), plaintext);
            return plaintext;
        }
        catch (CryptographicException ex)
        {
            throw Refused(file, $"secret '{path}' (version {version}) does not decrypt: the file was altered or damaged", ex);
        }
    }

    private static byte[] Decode(string? base64, string file, string what)
    {
        try
        {
            return Convert.FromBase64String(base64 ?? "");
        }
        catch (FormatException ex)
        {
            throw Refused(file, $"its {what} is not base64", ex);
        }
    }

    private static InvalidDataException Refused(string file, string why, Exception inner) =>
        new($"The embedded secret store {file} cannot be migrated: {why}. Nothing was changed. Restore it from the backup taken together with vault_keys.enc and start again.", inner);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
