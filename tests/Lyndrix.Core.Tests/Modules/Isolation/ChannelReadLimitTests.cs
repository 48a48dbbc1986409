using System.Text;
using Lyndrix.Core.Modules.Isolation;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>The host's read side of a plugin's channel follows the framing byte by byte, however the bytes are split into
/// reads: messages within the limits pass unchanged, the first byte past a limit is refused before it is handed on.</summary>
[TestFixture]
public sealed class ChannelReadLimitTests
{
    private static byte[] Frame(int bodyLength, string header = "Content-Length") =>
        Encoding.ASCII.GetBytes($"{header}: {bodyLength}\r\n\r\n").Concat(Enumerable.Repeat((byte)'x', bodyLength)).ToArray();

    /// <summary>Reads everything through the limit, <paramref name="chunk"/> bytes per read.</summary>
    private static async Task<byte[]> ReadAllAsync(byte[] wire, int chunk)
    {
        await using var limited = new ChannelReadLimit(new MemoryStream(wire));
        var read = new MemoryStream();
        var buffer = new byte[chunk];
        int n;
        while ((n = await limited.ReadAsync(buffer)) > 0)
        {
            read.Write(buffer, 0, n);
        }

        return read.ToArray();
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(4096)]
    public async Task Messages_within_the_limits_pass_unchanged_however_the_reads_split_them(int chunk)
    {
        var wire = Frame(5).Concat(Frame(0)).Concat(Frame(ChannelReadLimit.MaxMessageBytes))
            .Concat(Encoding.ASCII.GetBytes("content-length:2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}")).ToArray();
        Assert.That(await ReadAllAsync(wire, chunk), Is.EqualTo(wire));
    }

    [TestCase(1)]
    [TestCase(4096)]
    public void A_message_one_byte_over_the_limit_is_refused_at_its_header(int chunk)
    {
        var wire = Frame(3).Concat(Encoding.ASCII.GetBytes($"Content-Length: {ChannelReadLimit.MaxMessageBytes + 1}\r\n\r\n")).ToArray();
        var refused = Assert.ThrowsAsync<ChannelMessageRefusedException>(() => ReadAllAsync(wire, chunk));
        Assert.That(refused!.Message, Is.EqualTo("sent a message of 16,777,217 bytes; the host reads at most 16 MiB per message"));
    }

    [TestCase("Content-Length: -1\r\n\r\n", "sent a message whose Content-Length is not a length ('-1')")]
    [TestCase("Content-Length: 99999999999999999999999999999\r\n\r\n", "sent a message whose Content-Length is not a length ('999999999999999999999999…')")]
    [TestCase("Content-Type: x\r\n\r\n", "sent a message without a Content-Length header")]
    public void A_header_without_a_usable_length_is_refused(string header, string why)
    {
        var refused = Assert.ThrowsAsync<ChannelMessageRefusedException>(() => ReadAllAsync(Encoding.ASCII.GetBytes(header), 7));
        Assert.That(refused!.Message, Is.EqualTo(why));
    }

    [Test]
    public void A_header_that_does_not_end_is_refused_after_the_limit()
    {
        var wire = Frame(2).Concat(Enumerable.Repeat((byte)'a', ChannelReadLimit.MaxHeaderBytes + 1)).ToArray();
        var refused = Assert.ThrowsAsync<ChannelMessageRefusedException>(() => ReadAllAsync(wire, 100));
        Assert.That(refused!.Message, Is.EqualTo("sent a message header longer than 1024 bytes"));
    }

    [Test]
    public async Task A_header_of_exactly_the_limit_passes()
    {
        var header = "Content-Length: 1\r\nX: " + new string('p', ChannelReadLimit.MaxHeaderBytes - 26) + "\r\n\r\n";
        Assert.That(header, Has.Length.EqualTo(ChannelReadLimit.MaxHeaderBytes));
        var wire = Encoding.ASCII.GetBytes(header + "x");
        Assert.That(await ReadAllAsync(wire, 5), Is.EqualTo(wire));
    }
}
