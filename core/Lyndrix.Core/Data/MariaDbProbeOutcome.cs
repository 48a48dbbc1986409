namespace Lyndrix.Core.Data;

internal enum MariaDbProbeOutcome
{
    /// <summary>DNS says the name does not exist.</summary>
    HostNotFound,

    /// <summary>DNS could not answer now (try again later).</summary>
    DnsUnavailable,

    Refused,
    TimedOut,
    NetworkError,

    /// <summary>The server's first packet was an error packet (e.g. 1040 too many connections, 1130 host not allowed).</summary>
    ServerError,

    /// <summary>The server sent its handshake greeting.</summary>
    Greeted,

    /// <summary>TCP connected but the first packet could not be read or understood.</summary>
    Unknown,
}
