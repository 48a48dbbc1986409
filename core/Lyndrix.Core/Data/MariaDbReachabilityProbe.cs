using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Lyndrix.Core.Data;

/// <summary>
/// Finds out why MySqlConnector said "unable to connect" (error 1042): the driver swallows the socket error, so it
/// reports an unknown host, a refused port, a timeout and a server without TLS with the same code. This probe resolves
/// the name, opens a TCP connection and reads the server's greeting packet (protocol 10), whose capability flags say
/// whether the server offers TLS and whose error form carries a server error number. It never sends credentials.
/// </summary>
internal static class MariaDbReachabilityProbe
{
    private const ushort ClientSslCapability = 0x0800;

    public static async Task<MariaDbProbeResult> ProbeAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, deadline.Token).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData
                ? new MariaDbProbeResult(MariaDbProbeOutcome.HostNotFound, ex.SocketErrorCode)
                : new MariaDbProbeResult(MariaDbProbeOutcome.DnsUnavailable, ex.SocketErrorCode);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new MariaDbProbeResult(MariaDbProbeOutcome.DnsUnavailable, SocketError.TimedOut);
        }

        if (addresses.Length == 0)
        {
            return new MariaDbProbeResult(MariaDbProbeOutcome.HostNotFound, SocketError.NoData);
        }

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(addresses, port, deadline.Token).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new MariaDbProbeResult(MariaDbProbeOutcome.Refused, ex.SocketErrorCode),
                SocketError.TimedOut => new MariaDbProbeResult(MariaDbProbeOutcome.TimedOut, ex.SocketErrorCode),
                _ => new MariaDbProbeResult(MariaDbProbeOutcome.NetworkError, ex.SocketErrorCode),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new MariaDbProbeResult(MariaDbProbeOutcome.TimedOut, SocketError.TimedOut);
        }

        try
        {
            return await ReadGreetingAsync(socket, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new MariaDbProbeResult(MariaDbProbeOutcome.TimedOut, SocketError.TimedOut);
        }
        catch (SocketException ex)
        {
            return new MariaDbProbeResult(MariaDbProbeOutcome.NetworkError, ex.SocketErrorCode);
        }
    }

    /// <summary>Parses the first packet: <c>0xFF code:u16 …</c> (error) or <c>0x0A version\0 thread:u32 scramble[8] 0 caps:u16 …</c>.</summary>
    internal static MariaDbProbeResult ParseGreeting(ReadOnlySpan<byte> payload)
    {
        if (payload.Length >= 3 && payload[0] == 0xFF)
        {
            return new MariaDbProbeResult(MariaDbProbeOutcome.ServerError, ServerErrorCode: BinaryPrimitives.ReadUInt16LittleEndian(payload[1..]));
        }

        if (payload.Length < 1 || payload[0] != 10)
        {
            return new MariaDbProbeResult(MariaDbProbeOutcome.Unknown);
        }

        var end = payload[1..].IndexOf((byte)0);
        var capabilitiesAt = 1 + end + 1 + 4 + 8 + 1;
        if (end < 0 || payload.Length < capabilitiesAt + 2)
        {
            return new MariaDbProbeResult(MariaDbProbeOutcome.Unknown);
        }

        var capabilities = BinaryPrimitives.ReadUInt16LittleEndian(payload[capabilitiesAt..]);
        return new MariaDbProbeResult(MariaDbProbeOutcome.Greeted, ServerOffersTls: (capabilities & ClientSslCapability) != 0);
    }

    private static async Task<MariaDbProbeResult> ReadGreetingAsync(Socket socket, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        if (!await ReadExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false))
        {
            return new MariaDbProbeResult(MariaDbProbeOutcome.Unknown);
        }

        var length = header[0] | (header[1] << 8) | (header[2] << 16);
        if (length is <= 0 or > 64 * 1024)
        {
            return new MariaDbProbeResult(MariaDbProbeOutcome.Unknown);
        }

        var payload = new byte[length];
        return await ReadExactlyAsync(socket, payload, cancellationToken).ConfigureAwait(false)
            ? ParseGreeting(payload)
            : new MariaDbProbeResult(MariaDbProbeOutcome.Unknown);
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
