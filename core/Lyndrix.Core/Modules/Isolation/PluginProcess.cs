using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// One <c>lyndrix plugin-host</c> child with its channel, started in the sandbox of one account: nothing of the host's
/// environment, the account's uid and gid when one is named (then from an executable the account cannot read, so the process
/// is never dumpable: <see cref="ChildExecutable"/>), the working directories' root as its first directory. It is
/// not yet any plugin's: a spare waits so (<see cref="PluginProcessSpares"/>). <see cref="Adopt"/> gives it to the one plugin
/// it will ever serve; the plugin's own directory and memory limit follow at setup (<see cref="ChildSandbox"/>).
/// </summary>
internal sealed class PluginProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private Action<int>? _exited;
    private bool _hasExited;
    private volatile bool _ending;

    private PluginProcess(Process process, ILogger logger)
    {
        _process = process;
        Channel = new ChildChannel(process, logger);
    }

    /// <summary>The child's process id (kept: it stays known after the process is gone).</summary>
    public int Id { get; private set; }

    public ChildChannel Channel { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the child for <paramref name="user"/> (null: the host's own account); stderr lines are logged under
    /// <paramref name="logger"/> until the process is adopted.</summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The process could not be started (e.g. as that account).</exception>
    public static PluginProcess Start(IsolationSettings settings, PluginUser? user, ILogger logger)
    {
        settings.PrepareWorkRoot();
        var info = ChildProcessStart.Info(settings.CommandFor(user, logger), [PluginHostCommand.CommandName], ChildProcessStart.DotnetEnvironment());
        info.WorkingDirectory = settings.WorkRoot;
        if (user is not null)
        {
            info.UserName = user.Name;
        }

        var started = new PluginProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, logger);
        started.Run();
        return started;
    }

    private void Run()
    {
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Channel.Logger.LogInformation("[{Pid}] {Line}", Id, line);
            }
        };
        _process.Exited += (_, _) => OnExited();
        try
        {
            _process.Start();
        }
        catch
        {
            _process.Dispose();
            throw;
        }

        Id = _process.Id;
        _process.BeginErrorReadLine();
    }

    /// <summary>The exit code once the process has ended, waiting up to <paramref name="patience"/>; null if it still runs.</summary>
    public async Task<int?> ExitCodeAsync(TimeSpan patience)
    {
        using var wait = new CancellationTokenSource(patience);
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            return _process.ExitCode;
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>From now on its stderr is logged under <paramref name="logger"/> and an unexpected end is reported to
    /// <paramref name="exited"/> with the exit code (at once, if it has already ended). Ending it by disposing is not reported.</summary>
    public void Adopt(ILogger logger, Action<int> exited)
    {
        Channel.Logger = logger;
        bool hasExited;
        lock (_gate)
        {
            _exited = exited;
            hasExited = _hasExited;
        }

        if (hasExited)
        {
            Report(exited);
        }
    }

    private void OnExited()
    {
        Action<int>? exited;
        lock (_gate)
        {
            _hasExited = true;
            exited = _exited;
        }

        if (exited is not null)
        {
            Report(exited);
        }
    }

    private void Report(Action<int> exited)
    {
        int code;
        try
        {
            if (_ending)
            {
                return;
            }

            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return; // Disposed meanwhile: it was ended on purpose.
        }

        exited(code);
    }

    /// <summary>Ends the child (see <see cref="ChildChannel.DisposeAsync"/>).</summary>
    public ValueTask DisposeAsync()
    {
        _ending = true;
        return Channel.DisposeAsync();
    }
}
