using System.Collections.Concurrent;
using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>Settings for a test, as if they came from the environment.</summary>
internal sealed class TestConfigSource : IConfigSource
{
    private readonly ConcurrentDictionary<string, string> _values = new(StringComparer.Ordinal);

    public TestConfigSource Set(string name, string value)
    {
        _values[name] = value;
        return this;
    }

    public string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;
}
