using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace Lyndrix.Core.Hosting.Http;

/// <summary>
/// The key under which a client's attempts are counted (login and init/unseal throttling): its address after the trusted
/// proxies' <c>X-Forwarded-For</c> was applied, an IPv4-mapped IPv6 address as IPv4, every loopback address as one, and an
/// IPv6 client by its /64, because one machine usually holds a whole /64 and could otherwise rotate through it.
/// </summary>
internal static class ClientKey
{
    public static string For(HttpContext http) => For(http.Connection.RemoteIpAddress);

    public static string For(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            // Any local process can pick any of 127.0.0.0/8 as its source: they are all one client.
            return "loopback";
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes) + "/64";
    }
}
