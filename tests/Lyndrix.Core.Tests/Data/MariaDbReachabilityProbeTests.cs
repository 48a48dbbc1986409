using System.Net;
using System.Net.Sockets;
using System.Text;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Tests.Data;

public sealed class MariaDbReachabilityProbeTests
{
    private static byte[] Greeting(bool tls)
    {
        var payload = new List<byte> { 10 };
        payload.AddRange(Encoding.ASCII.GetBytes("10.11.19-MariaDB"));
        payload.Add(0);
        payload.AddRange(new byte[] { 1, 0, 0, 0 });
        payload.AddRange(Encoding.ASCII.GetBytes("abcdefgh"));
        payload.Add(0);
        var caps = tls ? 0xFFFF : 0xF7FF;
        payload.Add((byte)(caps & 0xFF));
        payload.Add((byte)(caps >> 8));
        payload.AddRange(new byte[] { 45, 2, 0 });
        return payload.ToArray();
    }

    private static byte[] Packet(byte[] payload) =>
        [(byte)(payload.Length & 0xFF), (byte)((payload.Length >> 8) & 0xFF), (byte)(payload.Length >> 16), 0, .. payload];

    [TestCase(true)]
    [TestCase(false)]
    public void The_greeting_says_whether_the_server_offers_TLS(bool tls)
    {
        var result = MariaDbReachabilityProbe.ParseGreeting(Greeting(tls));
        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(MariaDbProbeOutcome.Greeted));
            Assert.That(result.ServerOffersTls, Is.EqualTo(tls));
        });
    }

    [Test]
    public void An_error_greeting_carries_the_server_error_code()
    {
        var result = MariaDbReachabilityProbe.ParseGreeting([0xFF, 0x6A, 0x04, .. Encoding.ASCII.GetBytes("Host not allowed")]);
        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(MariaDbProbeOutcome.ServerError));
            Assert.That(result.ServerErrorCode, Is.EqualTo(1130));
        });
    }

    [Test]
    public void Garbage_is_unknown()
    {
        Assert.Multiple(() =>
        {
            Assert.That(MariaDbReachabilityProbe.ParseGreeting("HTTP/1.1 400"u8).Outcome, Is.EqualTo(MariaDbProbeOutcome.Unknown));
            Assert.That(MariaDbReachabilityProbe.ParseGreeting([10, 65, 66]).Outcome, Is.EqualTo(MariaDbProbeOutcome.Unknown));
            Assert.That(MariaDbReachabilityProbe.ParseGreeting([]).Outcome, Is.EqualTo(MariaDbProbeOutcome.Unknown));
        });
    }

    [Test]
    public async Task A_closed_port_is_refused()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var result = await MariaDbReachabilityProbe.ProbeAsync("127.0.0.1", port, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.That(result.Outcome, Is.EqualTo(MariaDbProbeOutcome.Refused));
    }

    [Test]
    public async Task A_listening_server_is_greeted_and_read_without_sending_anything()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            await client.GetStream().WriteAsync(Packet(Greeting(tls: false)));
            var buffer = new byte[16];
            return await client.GetStream().ReadAsync(buffer);
        });
        var result = await MariaDbReachabilityProbe.ProbeAsync("127.0.0.1", port, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(result.Outcome, Is.EqualTo(MariaDbProbeOutcome.Greeted));
            Assert.That(result.ServerOffersTls, Is.False);
            Assert.That(await serve, Is.Zero, "the probe sends no bytes (no credentials), it only closes");
        });
    }

    [Test]
    public async Task A_server_that_never_speaks_times_out()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var result = await MariaDbReachabilityProbe.ProbeAsync("127.0.0.1", port, TimeSpan.FromMilliseconds(300), CancellationToken.None);
        Assert.That(result.Outcome, Is.EqualTo(MariaDbProbeOutcome.TimedOut));
    }
}
