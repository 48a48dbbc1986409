using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Lyndrix.Core.Hosting.WebConsole;

/// <summary>
/// The operator console's files (<c>Hosting/WebConsole/wwwroot</c>), embedded in this assembly at build time: plain HTML, CSS
/// and JavaScript, so nobody runs a front-end build and nothing is fetched from anywhere but this host. Read once.
/// </summary>
internal sealed class ConsoleAssets
{
    private const string Prefix = "console/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    private readonly FrozenDictionary<string, ConsoleAsset> _files;

    public ConsoleAssets()
        : this(typeof(ConsoleAssets).Assembly)
    {
    }

    internal ConsoleAssets(Assembly assembly)
    {
        var files = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var file = name[Prefix.Length..];
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
            files[file] = new ConsoleAsset(bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}\"");
        }

        _files = files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public const string IndexFile = "index.html";

    public IEnumerable<string> Names => _files.Keys;

    public ConsoleAsset? Find(string name) => _files.GetValueOrDefault(name);
}
