using System.Globalization;

namespace Lyndrix.Core.Auth;

/// <summary>
/// An Argon2 hash in the PHC string format used by argon2-cffi and the reference <c>argon2</c> tool:
/// <c>$argon2id$v=19$m=65536,t=3,p=4$&lt;salt&gt;$&lt;hash&gt;</c>, salt and hash in base64 without padding.
/// </summary>
internal sealed record PhcArgon2Hash(string Variant, int Version, int MemoryKib, int TimeCost, int Parallelism, byte[] Salt, byte[] Hash)
{
    // Bounds keep a crafted or corrupted stored hash from making one verification cost gigabytes or minutes.
    public const int MaxMemoryKib = 1024 * 1024;
    public const int MaxTimeCost = 32;
    public const int MaxParallelism = 64;

    public static bool TryParse(string? text, out PhcArgon2Hash hash)
    {
        hash = null!;
        if (string.IsNullOrEmpty(text) || text.Length > 512)
        {
            return false;
        }

        var parts = text.Split('$');
        // "", variant, [v=..], params, salt, hash
        if (parts.Length is not (5 or 6) || parts[0].Length != 0)
        {
            return false;
        }

        var variant = parts[1];
        if (variant is not ("argon2id" or "argon2i" or "argon2d"))
        {
            return false;
        }

        var index = 2;
        var version = 0x10;
        if (parts.Length == 6)
        {
            if (!parts[2].StartsWith("v=", StringComparison.Ordinal) || !TryInt(parts[2][2..], out version) || version is not (0x10 or 0x13))
            {
                return false;
            }

            index = 3;
        }

        int m = 0, t = 0, p = 0;
        var seen = 0;
        foreach (var pair in parts[index].Split(','))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0 || !TryInt(pair[(eq + 1)..], out var value))
            {
                return false;
            }

            switch (pair[..eq])
            {
                case "m": m = value; seen |= 1; break;
                case "t": t = value; seen |= 2; break;
                case "p": p = value; seen |= 4; break;
                default: return false;
            }
        }

        if (seen != 7 || m < 8 * p || m > MaxMemoryKib || t is < 1 or > MaxTimeCost || p is < 1 or > MaxParallelism)
        {
            return false;
        }

        if (!TryDecode(parts[index + 1], out var salt) || salt.Length is < 8 or > 64 ||
            !TryDecode(parts[index + 2], out var digest) || digest.Length is < 4 or > 128)
        {
            return false;
        }

        hash = new PhcArgon2Hash(variant, version, m, t, p, salt, digest);
        return true;
    }

    public override string ToString() =>
        $"${Variant}$v={Version}$m={MemoryKib},t={TimeCost},p={Parallelism}${Encode(Salt)}${Encode(Hash)}";

    private static bool TryInt(string s, out int value) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static bool TryDecode(string s, out byte[] bytes)
    {
        bytes = [];
        if (s.Length == 0 || s.Contains('='))
        {
            return false;
        }

        var padded = s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
        try
        {
            bytes = Convert.FromBase64String(padded);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
