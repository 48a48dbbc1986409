using Lyndrix.Core.Configuration;

namespace Lyndrix.Benchmarks;

/// <summary>No environment overrides: plugin settings come from their manifests' defaults.</summary>
internal sealed class EmptyConfigSource : IConfigSource
{
    public string? Get(string name) => null;
}
