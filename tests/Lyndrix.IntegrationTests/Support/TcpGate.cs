using System.Net;
using System.Net.Sockets;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>
/// A loopback port that refuses connections, as a server that has not started yet does, until <see cref="Open"/>; from then on
/// it forwards each connection to a real server. The port is bound from the start (but not listening), so nothing else can
/// take it while the gate is shut and a client sees "connection refused" every time, not a timeout.
/// </summary>
public sealed class TcpGate : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private Task? _accepting;

    public TcpGate(IPEndPoint target)
    {
        _target = target;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
    }

    public int Port { get; }

    /// <summary>Starts listening: connections made from now on reach the target.</summary>
    public void Open()
    {
        _listener.Listen();
        _accepting = AcceptAsync(_stop.Token);
    }

    private async Task AcceptAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(stop);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.Add(ForwardAsync(client, stop));
            }
        }
    }

    private async Task ForwardAsync(Socket client, CancellationToken stop)
    {
        using var clientSocket = client;
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(_target, stop);
            await using var fromClient = new NetworkStream(clientSocket, ownsSocket: false);
            await using var toServer = new NetworkStream(server, ownsSocket: false);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(stop);
            // When one side closes, the other copy is cancelled so that both sockets close.
            await Task.WhenAny(Pump(fromClient, toServer, either), Pump(toServer, fromClient, either));
            await either.CancelAsync();
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // The client, the server or the test went away: the connection ends, as a dropped TCP connection does.
        }
    }

    private static async Task Pump(Stream from, Stream to, CancellationTokenSource either)
    {
        try
        {
            await from.CopyToAsync(to, either.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        Task[] pending;
        lock (_connections)
        {
            pending = [.. _connections, .. _accepting is null ? Array.Empty<Task>() : [_accepting]];
        }

        await Task.WhenAll(pending);
        _stop.Dispose();
    }
}
