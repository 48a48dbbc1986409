namespace Lyndrix.Core.Configuration;

/// <summary>A config source with some names answered from a fixed set first (the doctor's in-process host listens on a free
/// loopback port, whatever PORT and LYNDRIX_BIND say).</summary>
internal sealed class OverridingConfigSource(IConfigSource inner, IReadOnlyDictionary<string, string> overrides) : IConfigSource
{
    public string? Get(string name) => overrides.TryGetValue(name, out var value) ? value : inner.Get(name);
}
