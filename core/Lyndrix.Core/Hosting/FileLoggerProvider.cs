using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Hosting;

/// <summary>Appends one line per record to <c>LOGS_DIR/lyndrix.log</c> (folder 0700, files 0600); rotates at 10 MB keeping 5 files.
/// Each line names the host instance (<c>LYNDRIX_INSTANCE_ID</c>), so the logs of several hosts can be merged.</summary>
internal sealed class FileLoggerProvider : ILoggerProvider
{
    private const long MaxBytes = 10 * 1024 * 1024;
    private const int Keep = 5;
    private readonly Lock _gate = new();
    private readonly string _path;
    private readonly LogLevel _minimum;
    private readonly TimeProvider _time;
    private readonly string _instance;
    private readonly ConcurrentDictionary<string, FileLogger> _loggers = new();
    private StreamWriter _writer;

    public FileLoggerProvider(string directory, LogLevel minimum, TimeProvider time, string instanceId = "")
    {
        _instance = instanceId.Length == 0 ? "" : $"[{instanceId}] ";
        _path = Path.Combine(directory, "lyndrix.log");
        // Logs name users, clients and what failed: owner-only, like SECURITY_DIR, also when the folder or file existed wider.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, OwnerOnlyFolder);
            File.SetUnixFileMode(directory, OwnerOnlyFolder);
            if (File.Exists(_path))
            {
                File.SetUnixFileMode(_path, OwnerOnlyFile);
            }
        }

        _minimum = minimum;
        _time = time;
        _writer = Open();
    }

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerOnlyFile | UnixFileMode.UserExecute;

    private StreamWriter Open()
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        return new StreamWriter(new FileStream(_path, options)) { AutoFlush = true };
    }

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, c => new FileLogger(this, c));

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        var line = $"{_time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} {level,-11} {_instance}{category}: {message}";
        if (exception is not null)
        {
            line += Environment.NewLine + exception;
        }

        lock (_gate)
        {
            _writer.WriteLine(line);
            if (_writer.BaseStream.Length > MaxBytes)
            {
                Rotate();
            }
        }
    }

    private void Rotate()
    {
        _writer.Dispose();
        for (var i = Keep - 1; i >= 1; i--)
        {
            var from = $"{_path}.{i}";
            if (File.Exists(from))
            {
                File.Move(from, $"{_path}.{i + 1}", overwrite: true);
            }
        }

        File.Move(_path, _path + ".1", overwrite: true);
        _writer = Open();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }

    private sealed class FileLogger(FileLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(category, logLevel, formatter(state, exception), exception);
            }
        }
    }
}
