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

    /// <summary>Refuses options outside <paramref name="known"/>: a mistyped option must not be ignored silently.</summary>
    /// <param name="command">The command as the user typed it, for the message ("backup restore").</param>
    public void AllowOnly(IReadOnlyCollection<string> known, string command)
    {
        if (_options.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            throw new CliUsageException(known.Count == 0
                ? $"'{command}' takes no option --{unknown}."
                : $"'{command}' has no option --{unknown}; its options: {string.Join(", ", known.Select(k => "--" + k))}.");
        }
    }

    public string Require(string name) =>
        Get(name) ?? throw new CliUsageException($"Missing required option --{name}.");
}

internal sealed class CliUsageException(string message) : Exception(message);
