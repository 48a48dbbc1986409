using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Probe;

/// <summary>
/// What a hostile isolated plugin can do to its channel: its process's stdout (fd 1) is the channel to the host, open to any
/// code in the process. On a thread of its own, once started (by an event, so the plugin is active): <c>huge_message</c> declares a 1 GiB message and streams
/// it; <c>endless_header</c> sends a header line that never ends; <c>close</c> closes the channel's write end (every copy) and keeps the process alive with a
/// foreground thread. Each stops at the first failed write (the host closed its end).
/// </summary>
internal static class ChannelBreaker
{
    private const long Claimed = 1L << 30;

    public static void Start(string attack) => new Thread(() =>
    {
        switch (attack)
        {
            case "huge_message":
                Flood(Encoding.ASCII.GetBytes($"Content-Length: {Claimed}\r\n\r\n"), (byte)' ');
                break;
            case "endless_header":
                Flood("X-Padding: "u8.ToArray(), (byte)'a');
                break;
            case "close":
                CloseChannel();
                Thread.Sleep(Timeout.Infinite);
                break;
            default:
                throw new ArgumentException("unknown attack: " + attack, nameof(attack));
        }
    }) { IsBackground = attack != "close" }.Start();

    /// <summary>Closes every descriptor of the process that is the channel's write end (fd 1 and the copies .NET made).</summary>
    private static void CloseChannel()
    {
        var channel = new FileInfo("/proc/self/fd/1").LinkTarget;
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            if (new FileInfo(fd).LinkTarget == channel && int.TryParse(Path.GetFileName(fd), out var number))
            {
                new SafeFileHandle(number, ownsHandle: true).Dispose();
            }
        }
    }

    private static void Flood(byte[] start, byte filler)
    {
        using var channel = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, 1);
        var chunk = new byte[1024 * 1024];
        Array.Fill(chunk, filler);
        try
        {
            channel.Write(start);
            for (long sent = 0; sent < Claimed; sent += chunk.Length)
            {
                channel.Write(chunk);
            }
        }
        catch (IOException)
        {
            // The host closed the channel: the attack is over.
        }
    }
}
