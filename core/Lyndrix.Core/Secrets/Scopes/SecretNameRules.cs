namespace Lyndrix.Core.Secrets.Scopes;

/// <summary>
/// What a module id and a secret key may look like, so no value can reach another module's path: ids use
/// <c>[a-z0-9._-]</c> (no <c>/</c>, no <c>..</c>, no leading dot); keys are fields of the module's own secret, so they only
/// have to be printable and free of path syntax.
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

        foreach (var c in id)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-'))
            {
                return $"The module id '{Printable(id)}' contains '{Printable(c.ToString())}': only lower-case letters, digits, '.', '_' and '-' are allowed.";
            }
        }

        if (id[0] == '.' || id.Contains("..", StringComparison.Ordinal))
        {
            return $"The module id '{id}' starts with '.' or contains '..'.";
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

        if (key.Any(char.IsControl))
        {
            return $"The secret key '{Printable(key)}' contains a control character.";
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

    private static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
