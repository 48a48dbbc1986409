using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lyndrix.Core.Audit;

/// <summary>
/// The one rule of the hash chain: each record's hash is HMAC-SHA256, under a key kept in the secret store (never in the
/// database), over its sequence number, time, every field (each length-prefixed, so no two records encode alike) and the
/// hash of the record before it. Someone who can write to the database but not read the secret store cannot recompute it,
/// so an edited, inserted or removed record breaks the chain at that point.
/// </summary>
internal static class AuditChain
{
    /// <summary>The previous hash of the first record ever written.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>Column limits; values are cut to them before hashing, so what is stored is what was hashed.</summary>
    public const int MaxActor = 190;
    public const int MaxModule = 190;
    public const int MaxAction = 64;
    public const int MaxTarget = 512;
    public const int MaxOutcome = 64;
    public const int MaxDetail = 1024;

    public static string Compute(ReadOnlySpan<byte> key, long seq, long atMillis, string actor, string? module, string action, string? target,
        string outcome, string? detail, string prevHash)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(number, seq);
        hmac.AppendData(number);
        BinaryPrimitives.WriteInt64BigEndian(number, atMillis);
        hmac.AppendData(number);
        foreach (var field in (ReadOnlySpan<string?>)[actor, module, action, target, outcome, detail, prevHash])
        {
            Append(hmac, field);
        }

        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }

    public static string Compute(ReadOnlySpan<byte> key, AuditEntry e) =>
        Compute(key, e.Seq, e.At.ToUnixTimeMilliseconds(), e.Actor, e.Module, e.Action, e.Target, e.Outcome, e.Detail, e.PrevHash);

    /// <summary>Cuts a value to its column's length (without splitting a surrogate pair) and removes control characters.</summary>
    public static string? Fit(string? value, int max)
    {
        if (value is null)
        {
            return null;
        }

        var clean = value.Any(char.IsControl) ? new string(value.Select(c => char.IsControl(c) ? ' ' : c).ToArray()) : value;
        if (clean.Length <= max)
        {
            return clean;
        }

        var cut = char.IsHighSurrogate(clean[max - 1]) ? max - 1 : max;
        return clean[..cut];
    }

    private static void Append(IncrementalHash hmac, string? value)
    {
        Span<byte> length = stackalloc byte[4];
        if (value is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, -1);
            hmac.AppendData(length);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hmac.AppendData(length);
        hmac.AppendData(bytes);
    }
}
