using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Hosting.Http;

/// <summary>
/// Takes filesystem paths out of text that anonymous callers see (<c>/api/boot</c>, <c>/api/vault/status</c>): the host's
/// folders become the name of the setting that holds them (<c>SECURITY_DIR/vault_keys.enc</c>), and any other absolute path
/// becomes <c>[path]</c>. The log keeps the full text for the operator.
/// </summary>
internal sealed partial class FilesystemPathRedactor
{
    private readonly (string Path, string Name)[] _known;

    public FilesystemPathRedactor(HostSettings settings)
    {
        (string? Path, string Name)[] candidates =
        [
            (settings.SecurityDir, "SECURITY_DIR"), (settings.StorageDir, "STORAGE_DIR"), (settings.PluginsDir, "PLUGINS_DIR"),
            (settings.LogsDir, "LOGS_DIR"), (AppContext.BaseDirectory, "[install dir]"), (Environment.CurrentDirectory, "[working dir]"),
            (Path.GetTempPath(), "[temp]"), (Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "~"),
        ];
        _known = candidates
            .Where(c => !string.IsNullOrEmpty(c.Path) && c.Path != "/")
            .Select(c => (Path.TrimEndingDirectorySeparator(c.Path!), c.Name))
            .OrderByDescending(c => c.Item1.Length)
            .ToArray();
    }

    [return: NotNullIfNotNull(nameof(text))]
    public string? Redact(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.Contains('/'))
        {
            return text;
        }

        foreach (var (path, name) in _known)
        {
            text = text.Replace(path, name, StringComparison.Ordinal);
        }

        // API routes such as /api/vault/status stay: they are addresses, not files.
        return AbsolutePath().Replace(text, m => m.Value.StartsWith("/api/", StringComparison.Ordinal) || m.Value.StartsWith("/auth/", StringComparison.Ordinal)
            ? m.Value
            : "[path]");
    }

    /// <summary>A slash not preceded by a word character, colon, dot or slash (so not part of a URL), then two or more segments.</summary>
    [GeneratedRegex(@"(?<![\w:./\]~])/(?:[\w.@+~-]+/)+[\w.@+~-]*")]
    private static partial Regex AbsolutePath();
}
