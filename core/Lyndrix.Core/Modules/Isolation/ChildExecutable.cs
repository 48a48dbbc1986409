using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// What an isolated plugin's process starts from when it runs as another account (the host is root): <c>lyndrix-plugin-host</c>,
/// a copy of the host's apphost (<c>lyndrix</c>) beside <c>lyndrix.dll</c>, owned by root, mode 0711 — executable, not readable,
/// by the account. The kernel starts a process whose executable its account cannot read as not dumpable (exec's would_dump),
/// so the child's <c>/proc</c> entries belong to root from its first instruction, not only once .NET has reached
/// <see cref="ChildHardening"/>: no process of the plugin account can open its <c>mem</c> or <c>environ</c> in between. The
/// apphost finds <c>lyndrix.dll</c> beside its own real path, so the copy is a file there, not a link. It is made at the first
/// start and again whenever the apphost changed (size or modification time) or the file at its name is not the copy (a link,
/// another owner, another mode): written under a temporary name in the same folder, then renamed over the name, so whatever
/// is there (a planted link too) is replaced, never followed. Without it (no apphost beside the dll, the folder not writable)
/// children start as before, and one warning says they are dumpable for their first moments.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed partial class ChildExecutable
{
    public const string FileName = "lyndrix-plugin-host";

    private const UnixFileMode ExecuteOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly string _appHost;
    private readonly string _appDll;
    private readonly string _fallback;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private bool _warned;

    private ChildExecutable(string appHost, string appDll, string fallback, ILogger logger)
    {
        _appHost = appHost;
        _appDll = appDll;
        _fallback = fallback;
        _logger = logger;
        Path = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(appDll)!, FileName);
    }

    /// <summary>Where the copy is (beside the app's dll).</summary>
    public string Path { get; }

    /// <summary>For the host <paramref name="command"/> (<c>dotnet lyndrix.dll</c> or the apphost): the apphost beside the dll,
    /// whichever way the host itself was started.</summary>
    public static ChildExecutable For(IReadOnlyList<string> command, ILogger logger)
    {
        var last = command[^1];
        var dll = last.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? last : last + ".dll";
        return new ChildExecutable(System.IO.Path.ChangeExtension(dll, null), dll, string.Join(' ', command), logger);
    }

    /// <summary>The copy, made or refreshed if need be; null when there can be none (then a warning, once).</summary>
    public string? Ready()
    {
        lock (_gate)
        {
            try
            {
                var source = FileStatus.Of(_appHost, followLinks: true) is { IsRegularFile: true } found
                    ? found
                    : throw new IOException($"there is no apphost at {_appHost}");
                if (!File.Exists(_appDll))
                {
                    throw new IOException($"{_appDll} is not beside the apphost (a single-file build cannot run from a copy it cannot read)");
                }

                var copy = FileStatus.Of(Path, followLinks: false);
                if (copy is { IsRegularFile: true, Owner: 0, Mode: ExecuteOnly } && copy.Value.Size == source.Size && copy.Value.ModifiedTicks == source.ModifiedTicks)
                {
                    return Path;
                }

                Write(source);
                if (copy is { } other && (!other.IsRegularFile || other.Owner != 0))
                {
                    LogForeignFileReplaced(_logger, Path, other.IsRegularFile ? $"a file of uid {other.Owner}" : "not a regular file (e.g. a symbolic link)");
                }

                return Path;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (!_warned)
                {
                    _warned = true;
                    LogNoCopy(_logger, _fallback, Path, ex.Message);
                }

                return null;
            }
        }
    }

    /// <summary>Writes the copy under a temporary name in the same folder (created anew: nothing there is followed), with its
    /// owner (root: the host), mode and the apphost's modification time, then renames it over <see cref="Path"/>.</summary>
    private void Write(FileStatus source)
    {
        var temp = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, $".{FileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var from = new FileStream(_appHost, FileMode.Open, FileAccess.Read, FileShare.Read))
            using (var to = new FileStream(temp, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                   }))
            {
                from.CopyTo(to);
                to.Flush(flushToDisk: true);
                File.SetUnixFileMode(to.SafeFileHandle, ExecuteOnly);
                File.SetLastWriteTimeUtc(to.SafeFileHandle, source.Modified);
            }

            File.Move(temp, Path, overwrite: true);
            LogCopied(_logger, Path, _appHost);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Isolated plugins' processes start from {Copy}, a copy of {AppHost} their accounts can execute but not read (so they are never dumpable)")]
    private static partial void LogCopied(ILogger logger, string copy, string appHost);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replaced {Copy}: it was {What}, not the copy the host made (can someone else write into the host's folder?)")]
    private static partial void LogForeignFileReplaced(ILogger logger, string copy, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Isolated plugins' processes start as '{Command}', not from {Copy} ({Reason}): each is dumpable for its first moments " +
        "(until .NET has started, tens of milliseconds), when another process of the plugin's account could open its /proc/<pid>/mem and read what the process " +
        "receives later. Keep the apphost 'lyndrix' beside lyndrix.dll in a folder the host can write.")]
    private static partial void LogNoCopy(ILogger logger, string command, string copy, string reason);
}
