namespace Lyndrix.Core.Secrets.Scopes;

/// <summary>
/// What a module id and a secret key may look like, so no value can reach another module's path: ids follow the manifest's
/// rule (lower-case segments joined by <c>. _ -</c>, so no <c>/</c> and no <c>..</c>); keys are fields of the module's own
/// secret, so they only have to be printable and free of path syntax. (A module's own keys meet the stricter
/// <see cref="Modules.PluginRules.ValidateSecretKey"/>; this check also guards fields the host writes.)
/// </summary>
internal static class SecretNameRules
{
    public const int MaxIdLength = 128;
    public const int MaxKeyLength = 256;

    /// <returns>Null when valid, else why not.</returns>
    public static string? CheckModuleId(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return "The module id is empty.";
        }

        if (id.Length > MaxIdLength)
        {
            return $"The module id is {id.Length} characters long; at most {MaxIdLength} are allowed.";
        }

        // The manifest's rule is the one rule for module ids; checked again here because a scope is a security boundary.
        if (!Modules.PluginManifestReader.IsValidId(id))
        {
            return $"The module id '{Modules.PluginRules.Printable(id)}' is not a valid module id: lower-case letters and digits in segments joined by " +
                   "'.', '_' or '-' (no '/', no leading, trailing or doubled separators).";
        }

        return null;
    }

    /// <returns>Null when valid, else why not.</returns>
    public static string? CheckKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "The secret key is empty.";
        }

        if (key.Length > MaxKeyLength)
        {
            return $"The secret key is {key.Length} characters long; at most {MaxKeyLength} are allowed.";
        }

        // char.IsControl's two ranges, searched without a delegate per character: this runs on every secret read.
        if (key.AsSpan().ContainsAnyInRange('\u0000', '\u001F') || key.AsSpan().ContainsAnyInRange('\u007F', '\u009F'))
        {
            return $"The secret key '{Modules.PluginRules.Printable(key)}' contains a control character.";
        }

        if (key.Contains('/', StringComparison.Ordinal) || key.Contains('\\', StringComparison.Ordinal) || key.Contains("..", StringComparison.Ordinal))
        {
            return $"The secret key '{key}' contains '/', '\\' or '..': keys name fields of the module's own secret, not paths.";
        }

        if (key.Trim().Length != key.Length)
        {
            return $"The secret key '{key}' starts or ends with white space.";
        }

        return null;
    }
}
