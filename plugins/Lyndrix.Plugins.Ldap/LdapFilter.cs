using System.Text;

namespace Lyndrix.Plugins.Ldap;

/// <summary>Builds the user search filter. The typed user name is escaped as an RFC 4515 assertion value, so input such as
/// <c>*)(uid=*</c> matches literally instead of changing the filter.</summary>
internal static class LdapFilter
{
    public const string Placeholder = "{username}";

    public static string Build(string template, string username) => template.Replace(Placeholder, Escape(username), StringComparison.Ordinal);

    /// <summary>Escapes <c>*</c>, <c>(</c>, <c>)</c>, <c>\</c>, NUL, and every byte outside printable ASCII as <c>\xx</c>.</summary>
    public static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is (byte)'*' or (byte)'(' or (byte)')' or (byte)'\\' or < 0x20 or >= 0x7F)
            {
                sb.Append('\\').Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append((char)b);
            }
        }

        return sb.ToString();
    }
}
