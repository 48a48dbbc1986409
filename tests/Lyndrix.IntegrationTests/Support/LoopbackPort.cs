using System.Net;
using System.Net.Sockets;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>A loopback port that was free a moment ago, for a server whose address must be known before it starts (a redirect
/// URI registered with an OpenID provider, slapd's command line).</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
