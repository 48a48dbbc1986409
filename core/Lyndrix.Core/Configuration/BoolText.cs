namespace Lyndrix.Core.Configuration;

/// <summary>The boolean spellings every setting accepts, environment variables and module settings alike (compiled into
/// <c>Lyndrix.Sdk.Testing</c> too, for the manifest rules).</summary>
internal static class BoolText
{
    public static bool TryParse(string raw, out bool value)
    {
        switch (raw.Trim().ToLowerInvariant())
        {
            case "1" or "true" or "yes" or "on":
                value = true;
                return true;
            case "0" or "false" or "no" or "off":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
