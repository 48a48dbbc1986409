namespace Lyndrix.Core.Auth;

/// <summary>
/// The rule for <c>LYNDRIX_SSO_COMPLETE_URL</c>: a path on this host, checked the way browsers read a redirect target.
/// Browsers treat <c>\</c> as <c>/</c>, drop tabs and line breaks inside URLs, and read <c>//host</c> as another host, so each
/// of those could turn a path into a redirect to another site carrying the one-time sign-in code.
/// </summary>
internal static class SsoLandingUrl
{
    private static readonly Uri Probe = new("https://lyndrix.invalid/");

    /// <returns>Why the value is refused, or null when it is a same-origin absolute path.</returns>
    public static string? Problem(string value)
    {
        if (value.Length == 0 || value[0] != '/')
        {
            return "must be a path on this host starting with '/'";
        }

        if (value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '\u2028' or '\u2029'))
        {
            return "must not contain spaces, tabs, line breaks or other control characters (browsers drop some of them, which can make it another address)";
        }

        if (value.Contains('\\', StringComparison.Ordinal))
        {
            return "must not contain backslashes (browsers read them as '/', so '/\\host' is another host)";
        }

        if (value.StartsWith("//", StringComparison.Ordinal))
        {
            return "must not start with '//' (browsers read that as another host)";
        }

        if (value.Contains('#', StringComparison.Ordinal))
        {
            return "must not contain a fragment ('#'): the sign-in code is appended as a query parameter";
        }

        return Uri.TryCreate(Probe, value, out var resolved) && resolved.Scheme == Probe.Scheme && resolved.Authority == Probe.Authority
            ? null
            : "must stay on this host";
    }
}
