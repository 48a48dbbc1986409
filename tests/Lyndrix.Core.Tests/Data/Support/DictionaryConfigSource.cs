using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Tests.Data.Support;

/// <summary>Settings from a dictionary, as if they were environment variables.</summary>
internal sealed class DictionaryConfigSource(IReadOnlyDictionary<string, string> values) : IConfigSource
{
    public string? Get(string name) => values.TryGetValue(name, out var v) ? v : null;
}
