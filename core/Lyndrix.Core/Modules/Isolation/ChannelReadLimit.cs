using System.Globalization;
using System.Text;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// The host's read side of a plugin process's channel, with the framing checked as the bytes pass: each message is a header
/// block (at most <see cref="MaxHeaderBytes"/>, ending in an empty line, with a <c>Content-Length</c>) and a body of at most
/// <see cref="MaxMessageBytes"/>. StreamJsonRpc itself buffers whatever length a peer declares; an isolated plugin is code
/// the host does not trust, so a message it claims to be larger, or a header without end, is refused before its body is read
/// (<see cref="ChannelMessageRefusedException"/>), and the channel closes.
/// </summary>
internal sealed class ChannelReadLimit(Stream inner) : Stream
{
    /// <summary>The largest message body the host reads from a plugin's process (a log record, an event, a secret).</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>The largest header block (StreamJsonRpc writes one header of about 20 bytes).</summary>
    public const int MaxHeaderBytes = 1024;

    private static readonly byte[] EndOfHeaders = "\r\n\r\n"u8.ToArray();
    private readonly byte[] _header = new byte[MaxHeaderBytes];
    private int _headerLength;
    private long _bodyLeft;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Check(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Check(buffer.AsSpan(offset, read));
        return read;
    }

    /// <summary>Follows the framing through <paramref name="bytes"/>: bodies are counted, headers are read.</summary>
    private void Check(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_bodyLeft > 0)
            {
                var take = (int)Math.Min(_bodyLeft, bytes.Length);
                _bodyLeft -= take;
                bytes = bytes[take..];
                continue;
            }

            if (_headerLength == MaxHeaderBytes)
            {
                throw new ChannelMessageRefusedException($"sent a message header longer than {MaxHeaderBytes} bytes");
            }

            _header[_headerLength++] = bytes[0];
            bytes = bytes[1..];
            if (_header.AsSpan(0, _headerLength).EndsWith(EndOfHeaders))
            {
                _bodyLeft = BodyLength(Encoding.ASCII.GetString(_header, 0, _headerLength - EndOfHeaders.Length));
                _headerLength = 0;
            }
        }
    }

    private static long BodyLength(string headers)
    {
        foreach (var line in headers.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                var value = line[(colon + 1)..].Trim();
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                {
                    throw new ChannelMessageRefusedException($"sent a message whose Content-Length is not a length ('{Shorten(value)}')");
                }

                return length <= MaxMessageBytes
                    ? length
                    : throw new ChannelMessageRefusedException(
                        $"sent a message of {length.ToString("N0", CultureInfo.InvariantCulture)} bytes; the host reads at most {MaxMessageBytes / (1024 * 1024)} MiB per message");
            }
        }

        throw new ChannelMessageRefusedException("sent a message without a Content-Length header");
    }

    private static string Shorten(string value) => value.Length <= 24 ? value : value[..24] + "…";

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
