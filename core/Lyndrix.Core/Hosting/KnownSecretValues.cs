using System.Collections.Concurrent;

namespace Lyndrix.Core.Hosting;

/// <summary>
/// The literal secret values a redactor has been told about (passwords, tokens, key shares), masked wherever they appear.
/// Shared by the database and Vault redactors so both mask the same way: longest value first, so a secret that contains
/// another one is masked whole rather than leaving its remainder.
/// </summary>
internal sealed class KnownSecretValues(int minimumLength)
{
    public const string Mask = "***";

    private readonly ConcurrentDictionary<string, byte> _values = new(StringComparer.Ordinal);

    /// <summary>Remembers a value; null and values shorter than the minimum length are ignored.</summary>
    public void Add(string? value)
    {
        if (value is not null && value.Length >= Math.Max(1, minimumLength))
        {
            _values.TryAdd(value, 0);
        }
    }

    public string MaskIn(string text)
    {
        foreach (var value in _values.Keys.OrderByDescending(v => v.Length))
        {
            text = text.Replace(value, Mask, StringComparison.Ordinal);
        }

        return text;
    }
}
