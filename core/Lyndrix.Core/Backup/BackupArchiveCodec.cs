using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Lyndrix.Core.Secrets.KeyFile;

namespace Lyndrix.Core.Backup;

/// <summary>
/// The encrypted envelope of a backup: <c>LYNDRIX-BACKUP\n</c>, a 4-byte big-endian header length, the JSON
/// <see cref="BackupHeader"/>, then chunks of at most 1 MiB, each <c>length[4] | ciphertext | tag[16]</c> under AES-256-GCM.
/// The key is Argon2id of the master key or passphrase (the same KDF as <c>vault_keys.enc</c>, <see cref="Argon2idKeyDerivation"/>),
/// expanded with HKDF into an encryption key and a key check. Each chunk's nonce is the header's 8-byte prefix and the chunk's
/// index, its associated data the header's hash, the index and whether it is the last chunk: chunks cannot be reordered,
/// dropped or appended, and a file cut at a chunk boundary is still told apart as truncated.
/// (<c>vault_keys.enc</c> keeps BouncyCastle's 16-byte-nonce GCM for byte compatibility with the original; a backup has no
/// such constraint and uses .NET's AES-GCM, which is several times faster on large archives.)
/// </summary>
internal static class BackupArchiveCodec
{
    public const int CurrentFormat = 1;
    public const int ChunkSize = 1 << 20;
    public const string MasterKeySource = "master_key";
    public const string PassphraseSource = "passphrase";

    private const int TagLength = 16;
    private const int NonceLength = 12;
    private const int KeyCheckLength = 16;

    private static ReadOnlySpan<byte> Magic => "LYNDRIX-BACKUP\n"u8;

    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, string passphrase, string keySource, Argon2Parameters argon, DateTimeOffset now)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var prefix = RandomNumberGenerator.GetBytes(8);
        var (key, check) = DeriveKeys(passphrase, salt, argon);
        try
        {
            var header = new BackupHeader
            {
                Format = CurrentFormat,
                ArgonTime = argon.TimeCost,
                ArgonMemoryKib = argon.MemoryKib,
                ArgonParallelism = argon.Parallelism,
                Salt = Convert.ToBase64String(salt),
                NoncePrefix = Convert.ToBase64String(prefix),
                KeySource = keySource,
                KeyCheck = Convert.ToBase64String(check),
                ChunkSize = ChunkSize,
                CreatedAt = now,
            };
            var headerBytes = JsonSerializer.SerializeToUtf8Bytes(header);
            var headerHash = SHA256.HashData(headerBytes);
            var chunks = Math.Max(1, (plaintext.Length + ChunkSize - 1) / ChunkSize);
            var output = new byte[Magic.Length + 4 + headerBytes.Length + plaintext.Length + chunks * (4 + TagLength)];
            var at = 0;
            Magic.CopyTo(output);
            at += Magic.Length;
            BinaryPrimitives.WriteInt32BigEndian(output.AsSpan(at), headerBytes.Length);
            at += 4;
            headerBytes.CopyTo(output.AsSpan(at));
            at += headerBytes.Length;
            using var aes = new AesGcm(key, TagLength);
            Span<byte> nonce = stackalloc byte[NonceLength];
            Span<byte> associated = stackalloc byte[32 + 5];
            for (var i = 0; i < chunks; i++)
            {
                var slice = plaintext.Slice(i * ChunkSize, Math.Min(ChunkSize, plaintext.Length - i * ChunkSize));
                BinaryPrimitives.WriteInt32BigEndian(output.AsSpan(at), slice.Length);
                at += 4;
                ChunkParameters(prefix, headerHash, i, i == chunks - 1, nonce, associated);
                aes.Encrypt(nonce, slice, output.AsSpan(at, slice.Length), output.AsSpan(at + slice.Length, TagLength), associated);
                at += slice.Length + TagLength;
            }

            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Reads the clear-text header (no key needed). Throws <see cref="BackupException"/> for a file that is no backup,
    /// a damaged header, or a format newer than this build.</summary>
    public static (BackupHeader Header, int BodyOffset) ReadHeader(ReadOnlySpan<byte> archive, string source)
    {
        if (archive.Length < Magic.Length || !archive[..Magic.Length].SequenceEqual(Magic))
        {
            throw new BackupException(BackupProblem.Damaged,
                $"{source} is not a Lyndrix backup (it does not start with LYNDRIX-BACKUP). Check the file name; 'lyndrix backup create' writes these files.");
        }

        if (archive.Length < Magic.Length + 4)
        {
            throw Truncated(source);
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(archive[Magic.Length..]);
        if (length <= 0 || length > 64 * 1024)
        {
            throw new BackupException(BackupProblem.Damaged, $"{source} has a damaged header (length {length}): the file was altered. Use another copy of the backup.");
        }

        if (archive.Length < Magic.Length + 4 + length)
        {
            throw Truncated(source);
        }

        BackupHeader? header;
        try
        {
            header = JsonSerializer.Deserialize<BackupHeader>(archive.Slice(Magic.Length + 4, length));
        }
        catch (JsonException ex)
        {
            throw new BackupException(BackupProblem.Damaged, $"{source} has a damaged header (not valid JSON): the file was altered. Use another copy of the backup.", ex);
        }

        if (header is null || header.Format < 1)
        {
            throw new BackupException(BackupProblem.Damaged, $"{source} has a damaged header: the file was altered. Use another copy of the backup.");
        }

        if (header.Format > CurrentFormat)
        {
            throw new BackupException(BackupProblem.VersionMismatch,
                $"{source} is in backup format {header.Format}, written by a newer Lyndrix; this build reads format {CurrentFormat} and older. " +
                "Restore it with the Lyndrix version that wrote it (or a newer one).");
        }

        if (header.Kdf != "argon2id" || header.ArgonTime is < 1 or > 1000 || header.ArgonParallelism is < 1 or > 255 ||
            header.ArgonMemoryKib < 8 * header.ArgonParallelism || header.ArgonMemoryKib > 4 * 1024 * 1024 || header.ChunkSize != ChunkSize ||
            !TryBase64(header.Salt, 16) || !TryBase64(header.NoncePrefix, 8) || !TryBase64(header.KeyCheck, KeyCheckLength))
        {
            throw new BackupException(BackupProblem.Damaged, $"{source} has a damaged header (its key-derivation fields are out of range): the file was altered.");
        }

        return (header, Magic.Length + 4 + length);
    }

    /// <summary>Decrypts the whole archive. Throws <see cref="BackupException"/>: <see cref="BackupProblem.WrongKey"/> when the
    /// key check fails, <see cref="BackupProblem.Damaged"/> when a chunk is missing, altered or extra.</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> archive, string passphrase, string source)
    {
        var (header, at) = ReadHeader(archive, source);
        var headerHash = SHA256.HashData(archive[(Magic.Length + 4)..at]);
        var argon = new Argon2Parameters(header.ArgonTime, header.ArgonMemoryKib, header.ArgonParallelism);
        var (key, check) = DeriveKeys(passphrase, Convert.FromBase64String(header.Salt), argon);
        try
        {
            if (!CryptographicOperations.FixedTimeEquals(check, Convert.FromBase64String(header.KeyCheck)))
            {
                throw new BackupException(BackupProblem.WrongKey, header.KeySource == PassphraseSource
                    ? $"The passphrase does not open {source}: it is not the one the backup was written with (or the header's key check was altered). " +
                      "Pass the environment variable that holds the right one with --passphrase-env NAME."
                    : $"The master key does not open {source}: it is not the LYNDRIX_MASTER_KEY of the deployment the backup was taken from " +
                      "(or the header's key check was altered). Set that key, or pass --passphrase-env NAME if the backup was written with a passphrase.");
            }

            var prefix = Convert.FromBase64String(header.NoncePrefix);
            using var aes = new AesGcm(key, TagLength);
            using var plaintext = new MemoryStream();
            Span<byte> nonce = stackalloc byte[NonceLength];
            Span<byte> associated = stackalloc byte[32 + 5];
            var buffer = new byte[ChunkSize];
            for (var index = 0; ; index++)
            {
                if (archive.Length - at < 4)
                {
                    throw Truncated(source);
                }

                var length = BinaryPrimitives.ReadInt32BigEndian(archive[at..]);
                if (length < 0 || length > ChunkSize)
                {
                    throw Altered(source, index);
                }

                if (archive.Length - at - 4 < length + TagLength)
                {
                    throw Truncated(source);
                }

                var ciphertext = archive.Slice(at + 4, length);
                var tag = archive.Slice(at + 4 + length, TagLength);
                at += 4 + length + TagLength;
                var last = at == archive.Length;
                ChunkParameters(prefix, headerHash, index, last, nonce, associated);
                try
                {
                    aes.Decrypt(nonce, ciphertext, tag, buffer.AsSpan(0, length), associated);
                }
                catch (AuthenticationTagMismatchException)
                {
                    if (last)
                    {
                        // A chunk that authenticates as "not the last" but ends the file: the rest was cut off.
                        ChunkParameters(prefix, headerHash, index, false, nonce, associated);
                        try
                        {
                            aes.Decrypt(nonce, ciphertext, tag, buffer.AsSpan(0, length), associated);
                            throw Truncated(source);
                        }
                        catch (AuthenticationTagMismatchException)
                        {
                        }
                    }

                    throw Altered(source, index);
                }

                plaintext.Write(buffer, 0, length);
                if (last)
                {
                    CryptographicOperations.ZeroMemory(buffer);
                    return plaintext.ToArray();
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static (byte[] Key, byte[] Check) DeriveKeys(string passphrase, byte[] salt, Argon2Parameters argon)
    {
        var root = Argon2idKeyDerivation.DeriveKey(passphrase, salt, argon);
        try
        {
            return (HKDF.Expand(HashAlgorithmName.SHA256, root, 32, "lyndrix backup/1 encryption"u8.ToArray()),
                HKDF.Expand(HashAlgorithmName.SHA256, root, KeyCheckLength, "lyndrix backup/1 key check"u8.ToArray()));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(root);
        }
    }

    private static void ChunkParameters(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> headerHash, int index, bool last, Span<byte> nonce, Span<byte> associated)
    {
        prefix.CopyTo(nonce);
        BinaryPrimitives.WriteInt32BigEndian(nonce[8..], index);
        headerHash.CopyTo(associated);
        BinaryPrimitives.WriteInt32BigEndian(associated[32..], index);
        associated[36] = last ? (byte)1 : (byte)0;
    }

    private static bool TryBase64(string? text, int length)
    {
        Span<byte> bytes = stackalloc byte[64];
        return text is not null && Convert.TryFromBase64String(text, bytes, out var written) && written == length;
    }

    private static BackupException Truncated(string source) =>
        new(BackupProblem.Damaged, $"{source} is truncated: it ends before its last part (an interrupted copy or a full disk). Use another copy of the backup.");

    private static BackupException Altered(string source, int chunk) =>
        new(BackupProblem.Damaged,
            $"{source} was altered: its part #{chunk + 1} does not authenticate (the key is right, so the bytes changed after the backup was written). " +
            "Use another copy of the backup.");
}
