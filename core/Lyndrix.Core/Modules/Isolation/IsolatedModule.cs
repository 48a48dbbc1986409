using System.Diagnostics;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// A plugin running in a child process, seen by the runtime as an ordinary <see cref="ILyndrixModule"/>. The child is
/// the host's own executable with the hidden <c>plugin-host</c> command: an empty environment (nothing of the host's
/// settings or secrets), a working directory of its own, an optional GC heap limit and account, and a
/// <see cref="ChildChannel"/> on its stdin/stdout. Its stderr becomes log lines under the module's category. When the
/// process ends unexpectedly, <c>exited</c> is told why.
/// </summary>
internal sealed class IsolatedModule : ILyndrixModule, IAsyncDisposable
{
    private readonly Process _process;
    private readonly ChildChannel _channel;
    private readonly PluginDescriptor _descriptor;
    private readonly IsolationSettings _settings;
    private readonly ILogger _logger;
    private readonly Action<string> _exited;
    private volatile bool _disposing;

    private IsolatedModule(Process process, PluginDescriptor descriptor, IsolationSettings settings, ILogger logger, Action<string> exited)
    {
        _process = process;
        _channel = new ChildChannel(process, logger);
        _descriptor = descriptor;
        _settings = settings;
        _logger = logger;
        _exited = exited;
    }

    public int ProcessId => _process.Id;

    /// <summary>Starts the child; the channel opens when <see cref="SetupAsync"/> gives it the module's context.</summary>
    public static IsolatedModule Start(PluginDescriptor descriptor, IsolationSettings settings, ILogger logger, Action<string> exited)
    {
        var id = descriptor.Manifest!.Id;
        var user = settings.UserFor(id) is { } account ? PluginUser.Resolve(account.Name, account.Setting) : null;
        var workDir = Path.Combine(settings.WorkRoot, id);
        Directory.CreateDirectory(workDir);
        if (!OperatingSystem.IsWindows())
        {
            // Others may pass through the root of the working directories (to reach their own), never list it.
            File.SetUnixFileMode(settings.WorkRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            File.SetUnixFileMode(workDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            user?.Own(workDir);
        }

        var info = ChildProcessStart.Info(settings.Command, [PluginHostCommand.CommandName], settings.ChildEnvironment(id));
        info.WorkingDirectory = workDir;
        if (user is not null)
        {
            info.UserName = user.Name;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var module = new IsolatedModule(process, descriptor, settings, logger, exited);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                logger.LogInformation("[{Pid}] {Line}", process.Id, line);
            }
        };
        process.Exited += (_, _) => module.OnExited();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex) when (user is not null)
        {
            process.Dispose();
            var closed = new[] { workDir, settings.Command[^1], descriptor.Folder }.Select(PluginUser.FirstClosedFolder).FirstOrDefault(d => d is not null);
            throw new PluginLoadException(
                $"Could not start the plugin's process as '{user.Name}': {ex.Message}. That account must be able to pass through the folders " +
                $"to its working directory ({workDir}), the host's files ({settings.Command[^1]}) and the plugin folder ({descriptor.Folder})" +
                (closed is null ? "." : $"; {closed} is closed to others (chmod o+x it, or move the files)."));
        }

        process.BeginErrorReadLine();
        return module;
    }

    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken) =>
        _channel.SetupAsync(_descriptor.Folder, context, (key, apply, ct) => context is ModuleContext own
            ? own.UpdateSecretAsync(key, apply, ct)
            : throw new InvalidOperationException("The host's side of the channel needs the host's module context."), _logger, cancellationToken);

    public Task TeardownAsync(CancellationToken cancellationToken) => _channel.TeardownAsync(cancellationToken);

    public Task<ModuleHealth> CheckHealthAsync(CancellationToken cancellationToken) => _channel.CheckHealthAsync(cancellationToken);

    private void OnExited()
    {
        if (_disposing)
        {
            return;
        }

        var code = _process.ExitCode;
        var limit = _settings.MemoryLimitMb(_descriptor.Manifest!.Id) is { } mb ? $"; it may have exceeded its {mb} MB memory limit" : "";
        var reason = code switch
        {
            134 => $"aborted (SIGABRT: Environment.FailFast, a stack overflow or an unhandled exception, e.g. out of memory{limit})",
            137 => $"was killed (SIGKILL{limit})",
            _ => $"exited with code {code}",
        };
        _exited($"The plugin's process ({_process.Id}) {reason}.");
    }

    /// <summary>Ends the child (see <see cref="ChildChannel.DisposeAsync"/>); its ending is then no crash.</summary>
    public ValueTask DisposeAsync()
    {
        _disposing = true;
        return _channel.DisposeAsync();
    }
}
