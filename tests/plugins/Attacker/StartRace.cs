using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Attacker;

/// <summary>
/// What an isolated plugin tries against the plugin processes of its own account that start after it (Linux /proc): a thread
/// that lists /proc as fast as it can, and for each new process of its uid tries, from the first moment, to open
/// <c>/proc/&lt;pid&gt;/mem</c> and read <c>/proc/&lt;pid&gt;/environ</c> — before the new process has made itself non-dumpable,
/// if it ever was dumpable. A <c>mem</c> opened then stays readable: it reads the process's memory again once the process has
/// settled (its secrets arrive later). Writes one line per new <c>plugin-host</c> process:
/// <c>CHILD &lt;pid&gt; environ_owner=&lt;uid at first sight&gt; mem=&lt;verdict&gt; environ=&lt;verdict&gt; later=&lt;...&gt;</c>, where a
/// verdict is <c>LEAK ...</c>, <c>refused N</c> (every failure EACCES/EPERM) or <c>unclear ...</c> (anything else, or never tried
/// while it lived); then a <c>RACE</c> summary.
/// </summary>
internal static partial class StartRace
{
    private const int OpenReadOnly = 0, OpenCloseOnExec = 0x80000;
    private const int Eacces = 13, Eperm = 1, Enoent = 2, Esrch = 3;
    private const int AtFdCwd = -100, StatxBasicStats = 0x7ff;

    /// <summary>How long a new plugin-host process is attacked after it was first seen as one.</summary>
    private static readonly TimeSpan Attempts = TimeSpan.FromSeconds(1.5);

    /// <summary>How long a new process of another uid (or not yet exec'd) stays a candidate.</summary>
    private static readonly TimeSpan Candidacy = TimeSpan.FromSeconds(5);

    /// <summary>Starts the watcher on a thread of its own; it writes <paramref name="report"/> + ".ready" once it watches, and
    /// <paramref name="report"/> when <paramref name="stop"/> appears (or after <paramref name="limit"/>).</summary>
    public static void Start(string report, string stop, TimeSpan limit) =>
        new Thread(() => Watch(report, stop, limit)) { IsBackground = true, Name = "start-race" }.Start();

    private static void Watch(string report, string stop, TimeSpan limit)
    {
        var uid = getuid();
        var known = new HashSet<int>(Pids());
        var candidates = new Dictionary<int, Victim>();
        var done = new List<Victim>();
        File.WriteAllText(report + ".ready", $"watching as uid {uid}; {known.Count} processes before\n");
        var clock = Stopwatch.StartNew();
        long loops = 0;
        while (clock.Elapsed < limit && (loops % 64 != 0 || !File.Exists(stop)))
        {
            loops++;
            foreach (var pid in Pids())
            {
                if (known.Add(pid))
                {
                    candidates[pid] = new Victim(pid, clock.Elapsed);
                }
            }

            foreach (var victim in candidates.Values.ToList())
            {
                if (!victim.Probe(uid, clock.Elapsed))
                {
                    candidates.Remove(victim.Pid);
                    if (victim.IsPluginHost)
                    {
                        done.Add(victim);
                    }
                }
            }
        }

        done.AddRange(candidates.Values.Where(v => v.IsPluginHost));
        var text = new StringBuilder();
        foreach (var victim in done)
        {
            text.Append(victim.Describe()).Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"RACE: {done.Count} new plugin-host processes of uid {uid}; mem opened in {done.Count(v => v.MemLeaked)}, ")
            .Append(CultureInfo.InvariantCulture, $"environ read in {done.Count(v => v.EnvironLeaked)}; {loops} scans of /proc in {clock.Elapsed.TotalSeconds:0.0} s\n");
        File.WriteAllText(report + ".tmp", text.ToString());
        File.Move(report + ".tmp", report, overwrite: true);
    }

    private static IEnumerable<int> Pids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    /// <summary>One new process and what was tried against it.</summary>
    private sealed class Victim(int pid, TimeSpan seen)
    {
        private readonly Attempt _mem = new(), _environ = new();
        private TimeSpan? _pluginHostSince;
        private uint? _environOwner;
        private int _memFd = -1;
        private long _address = -1;
        private string _memDetail = "";
        private string _environDetail = "";

        public int Pid { get; } = pid;

        public bool IsPluginHost => _pluginHostSince is not null;

        public bool MemLeaked => _memFd >= 0;

        public bool EnvironLeaked => _environDetail.Length > 0;

        /// <summary>One round of attempts; false once the process is done with (gone, not ours, or attacked long enough).</summary>
        public bool Probe(uint uid, TimeSpan now)
        {
            string status;
            try
            {
                status = File.ReadAllText($"/proc/{Pid}/status");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false; // ended
            }

            var line = status.AsSpan(status.IndexOf("\nUid:", StringComparison.Ordinal) + 5).TrimStart();
            var realUid = uint.Parse(line[..line.IndexOfAny('\t', ' ')], CultureInfo.InvariantCulture);
            if (realUid != uid)
            {
                return _pluginHostSince is null && now - seen < Candidacy; // maybe not switched to this account yet
            }

            if (!MemLeaked)
            {
                var fd = open($"/proc/{Pid}/mem", OpenReadOnly | OpenCloseOnExec);
                if (fd >= 0)
                {
                    _memFd = fd;
                    _address = FirstMapping();
                }
                else
                {
                    _mem.Failed(Marshal.GetLastPInvokeError());
                }
            }

            if (!EnvironLeaked)
            {
                try
                {
                    var environ = File.ReadAllBytes($"/proc/{Pid}/environ");
                    _environDetail = $"{environ.Length} bytes: {Encoding.UTF8.GetString(environ).Split('\0')[0]}...";
                }
                catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
                {
                    _environ.Failed(ex switch { UnauthorizedAccessException => Eacces, FileNotFoundException or DirectoryNotFoundException => Enoent, _ => ex.HResult });
                }
            }

            if (_pluginHostSince is null)
            {
                string cmdline;
                try
                {
                    cmdline = File.ReadAllText($"/proc/{Pid}/cmdline");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return false;
                }

                if (!cmdline.Contains("plugin-host", StringComparison.Ordinal))
                {
                    return now - seen < Candidacy; // not exec'd yet, or not a plugin's process
                }

                _pluginHostSince = now;
                _environOwner = Owner($"/proc/{Pid}/environ");
            }

            return !(MemLeaked && EnvironLeaked) && now - _pluginHostSince < Attempts;
        }

        /// <summary>The verdicts; reads the memory again through a <c>mem</c> opened early, now that the process has settled.</summary>
        public string Describe()
        {
            var later = "";
            if (MemLeaked)
            {
                var buffer = new byte[16];
                var read = _address < 0 ? -2 : pread(_memFd, buffer, buffer.Length, _address);
                later = read > 0 ? $" later=read {read} bytes at 0x{_address:x} through the early fd: {Convert.ToHexString(buffer, 0, (int)read)}"
                    : read == -2 ? " later=no address (maps refused)" : $" later=read failed errno {Marshal.GetLastPInvokeError()}";
                _ = close(_memFd);
                _memDetail = "fd opened";
            }

            return $"CHILD {Pid} environ_owner={_environOwner?.ToString(CultureInfo.InvariantCulture) ?? "?"} " +
                   $"mem={(MemLeaked ? "LEAK " + _memDetail : _mem.Verdict())} environ={(EnvironLeaked ? "LEAK " + _environDetail : _environ.Verdict())}{later}";
        }

        private long FirstMapping()
        {
            try
            {
                var first = File.ReadLines($"/proc/{Pid}/maps").First(l => l.Split(' ')[1].StartsWith('r'));
                return long.Parse(first[..first.IndexOf('-')], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                return -1;
            }
        }
    }

    /// <summary>Failures of one attack on one process, by kind.</summary>
    private sealed class Attempt
    {
        private int _refused, _gone;
        private readonly List<int> _other = [];

        public void Failed(int errno)
        {
            switch (errno)
            {
                case Eacces or Eperm: _refused++; break;
                case Enoent or Esrch: _gone++; break;
                default: _other.Add(errno); break;
            }
        }

        public string Verdict() =>
            _other.Count > 0 ? $"unclear errno {string.Join(",", _other.Distinct())} ({_refused} refused)"
            : _refused == 0 ? $"unclear never tried while it lived ({_gone} gone)"
            : $"refused {_refused}";
    }

    /// <summary>The owner of <paramref name="path"/> (statx; the same layout on every architecture), null if it cannot be read.</summary>
    private static uint? Owner(string path)
    {
        var buffer = new byte[256];
        return statx(AtFdCwd, path, 0, StatxBasicStats, buffer) == 0 ? BitConverter.ToUInt32(buffer, 20) : null;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint pread(int fd, byte[] buffer, nint count, long offset);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

    [LibraryImport("libc")]
    private static partial uint getuid();
}
