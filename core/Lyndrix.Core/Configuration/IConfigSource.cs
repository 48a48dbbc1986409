namespace Lyndrix.Core.Configuration;

/// <summary>Where settings come from: the process environment first, then an optional <c>.env</c> file.</summary>
internal interface IConfigSource
{
    string? Get(string name);
}
