using System.Globalization;
using System.Text;

namespace Lyndrix.Plugins.Ldap;

/// <summary>Small helpers for directory names and values.</summary>
internal static class LdapNames
{
    /// <summary>A DN in a form fit for comparing: RDNs trimmed, lower case. Good enough to match configured group DNs with
    /// what the server returns, which may differ in spacing and case.</summary>
    public static string Normalize(string dn) =>
        string.Join(",", dn.Split(',').Select(p => p.Trim())).ToLowerInvariant();

    /// <summary>The string form (S-1-5-21-…) of a binary Active Directory objectSid.</summary>
    public static string? SidToString(byte[] sid)
    {
        if (sid.Length < 8 || sid.Length != 8 + (sid[1] * 4))
        {
            return null;
        }

        long authority = 0;
        for (var i = 2; i < 8; i++)
        {
            authority = (authority << 8) | sid[i];
        }

        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"S-{sid[0]}-{authority}");
        for (var i = 0; i < sid[1]; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"-{System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(sid.AsSpan(8 + (i * 4)))}");
        }

        return sb.ToString();
    }
}
