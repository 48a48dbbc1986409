namespace Lyndrix.Core.Data;

internal enum DatabaseFailureKind
{
    /// <summary>May go away by itself (server starting, network blip, too many connections): retry with backoff.</summary>
    Transient,

    /// <summary>A configuration problem that retrying cannot fix (wrong password, unknown database, bad host name, TLS).</summary>
    Permanent,
}
