using System.Buffers;
using System.Globalization;
using Lyndrix.Core.Configuration;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules;

/// <summary>
/// The rules a plugin meets at run time, in one place for the host, <c>lyndrix plugins validate</c> and
/// <c>Lyndrix.Sdk.Testing</c> (this file is compiled into the test kit, like the manifest reader and the topic rules), so
/// the test kit refuses exactly what the host refuses, in the same words.
/// </summary>
internal static class PluginRules
{
    /// <summary>The host itself as the owner of subscriptions and providers; no plugin may take this id.</summary>
    public const string CoreOwner = "core";

    /// <summary>Ids reserved for the first-party modules shipped with the host.</summary>
    public const string ReservedIdPrefix = "lyndrix.core.";

    public const int MaxSecretKeyLength = 128;

    public const int MaxProviderIdLength = 64;

    /// <summary>The built-in provider ids: <c>local</c> belongs to the core; <c>ldap</c> and <c>oidc</c> to the first-party
    /// modules <c>lyndrix.core.ldap</c> and <c>lyndrix.core.oidc</c>.</summary>
    public static readonly IReadOnlySet<string> BuiltInProviderIds = new HashSet<string>(StringComparer.Ordinal) { "local", "ldap", "oidc" };

    private static readonly SearchValues<char> SecretKeyChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");

    /// <summary>The rule for keys a module passes to <c>GetSecretAsync</c>, <c>SetSecretAsync</c> and
    /// <c>UpdateSecretAsync</c>: 1-128 letters, digits, <c>_</c>, <c>-</c> and <c>.</c>.</summary>
    /// <exception cref="ArgumentException">The key breaks the rule.</exception>
    public static void ValidateSecretKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length is 0 or > MaxSecretKeyLength || key.AsSpan().ContainsAnyExcept(SecretKeyChars))
        {
            throw new ArgumentException(
                $"Secret key '{Printable(key)}' is not allowed: use 1-{MaxSecretKeyLength} letters, digits, '_', '-' and '.'. " +
                "Keys name fields of the module's own secret; there is no way to address another module's path.",
                nameof(key));
        }
    }

    /// <returns>Null when the module may subscribe to <paramref name="topic"/> (a valid topic), else why not.</returns>
    public static string? SubscribeRefusal(ModuleManifest policy, string topic) =>
        policy.MaySubscribe(topic)
            ? null
            : $"Module '{policy.Id}' may not subscribe to '{topic}': its plugin.json does not list it in permissions.subscribe. " +
              $"Add \"{topic}\" there (and tell your operator why the plugin needs it).";

    /// <summary>Checks a setting's value against its kind; null or what is wrong, phrased to follow the name of the value
    /// ("must be ...").</summary>
    public static string? SettingValueProblem(string kind, IReadOnlyList<string> options, string value) => kind switch
    {
        "bool" when !BoolText.TryParse(value, out _) => $"must be true or false (got '{value}').",
        "int" when !long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) => $"must be a whole number (got '{value}').",
        "select" when options.Count > 0 && !options.Contains(value, StringComparer.Ordinal) => $"must be one of {string.Join(", ", options)} (got '{value}').",
        _ => null,
    };

    public static bool IsValidProviderId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxProviderIdLength && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');

    /// <returns>Null when <paramref name="owner"/> may register a provider with id <paramref name="id"/>, else why not.</returns>
    public static string? ProviderRefusal(string owner, string? id)
    {
        if (!IsValidProviderId(id))
        {
            return $"Provider id '{id}' is invalid: use 1-{MaxProviderIdLength} lower-case letters, digits, '-' or '_'.";
        }

        if (BuiltInProviderIds.Contains(id!) && !MayOwnBuiltIn(owner, id!))
        {
            return $"Module '{owner}' may not register provider '{id}': '{id}' is a built-in provider id. Choose another id.";
        }

        return null;
    }

    private static bool MayOwnBuiltIn(string owner, string id) =>
        owner == CoreOwner || (id != "local" && owner == ReservedIdPrefix + id);

    /// <summary>The text with control characters shown as '?', for messages that quote a caller's input.</summary>
    public static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
