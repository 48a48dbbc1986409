namespace Lyndrix.Core.Cli;

/// <summary>Minimal option parsing: <c>--name value</c>, <c>--name=value</c> and flags; the rest are positional.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    public CliArguments(IReadOnlyList<string> args, IReadOnlySet<string> flags)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                var eq = a.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    _options[a[2..eq]] = a[(eq + 1)..];
                }
                else if (flags.Contains(a[2..]))
                {
                    _options[a[2..]] = null;
                }
                else if (i + 1 < args.Count)
                {
                    _options[a[2..]] = args[++i];
                }
                else
                {
                    throw new CliUsageException($"Option {a} needs a value.");
                }
            }
            else
            {
                _positional.Add(a);
            }
        }
    }

    public IReadOnlyList<string> Positional => _positional;

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Get(string name) => _options.TryGetValue(name, out var v) ? v : null;

    public string Require(string name) =>
        Get(name) ?? throw new CliUsageException($"Missing required option --{name}.");
}

internal sealed class CliUsageException(string message) : Exception(message);
