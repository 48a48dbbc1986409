using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// A plugin running in a child process, seen by the runtime as an ordinary <see cref="ILyndrixModule"/>. At setup it takes
/// a spare process of its account (<see cref="PluginProcessSpares"/>) or starts its own (<see cref="PluginProcess"/>), has
/// the child enter the plugin's working directory and memory limit (<see cref="ChildSandbox"/>), and serves the plugin's
/// context over the <see cref="ChildChannel"/>. The child's stderr becomes log lines under the module's category. When the
/// process ends unexpectedly, <c>exited</c> is told why.
/// </summary>
internal sealed class IsolatedModule : ILyndrixModule, IAsyncDisposable
{
    private readonly PluginDescriptor _descriptor;
    private readonly IsolationSettings _settings;
    private readonly PluginProcessSpares? _spares;
    private readonly PluginUser? _user;
    private readonly string _workDir;
    private readonly ILogger _logger;
    private readonly Action<string> _exited;
    private readonly Lock _gate = new();
    private PluginProcess? _process;
    private bool _disposed;

    private IsolatedModule(
        PluginDescriptor descriptor, IsolationSettings settings, PluginProcessSpares? spares, PluginUser? user, string workDir, ILogger logger, Action<string> exited)
    {
        _descriptor = descriptor;
        _settings = settings;
        _spares = spares;
        _user = user;
        _workDir = workDir;
        _logger = logger;
        _exited = exited;
    }

    /// <summary>The child's process id, once setup has given the plugin a process.</summary>
    public int? ProcessId => _process?.Id;

    private string Id => _descriptor.Manifest!.Id;

    /// <summary>Resolves the plugin's account and prepares its working directory (<c>STORAGE_DIR/plugins/&lt;id&gt;</c>, owner-only,
    /// the account's); the process comes at <see cref="SetupAsync"/>.</summary>
    /// <exception cref="PluginLoadException">The account cannot be used.</exception>
    public static IsolatedModule Create(PluginDescriptor descriptor, IsolationSettings settings, PluginProcessSpares? spares, ILogger logger, Action<string> exited)
    {
        var id = descriptor.Manifest!.Id;
        var user = settings.AccountFor(id);
        var workDir = Path.Combine(settings.WorkRoot, id);
        Directory.CreateDirectory(workDir);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(workDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            user?.Own(workDir);
        }

        return new IsolatedModule(descriptor, settings, spares, user, workDir, logger, exited);
    }

    public async Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        try
        {
            var (process, isSpare) = await TakeOrStartAsync(cancellationToken).ConfigureAwait(false);
            bool taken;
            lock (_gate)
            {
                taken = !_disposed;
                if (taken)
                {
                    _process = process;
                }
            }

            if (!taken)
            {
                await process.DisposeAsync().ConfigureAwait(false);
                throw new OperationCanceledException("The plugin was stopped while its process started.");
            }

            process.Adopt(_logger, OnExited);
            if (!isSpare)
            {
                await OpenAsync(process, cancellationToken).ConfigureAwait(false);
            }

            var limit = _settings.MemoryLimitMb(Id) is { } mb ? (long)mb * 1024 * 1024 : (long?)null;
            await process.Channel.SetupAsync(_descriptor.Folder, context, (key, apply, ct) => context is ModuleContext own
                ? own.UpdateSecretAsync(key, apply, ct)
                : throw new InvalidOperationException("The host's side of the channel needs the host's module context."),
                _logger, new ChildSandbox(_workDir, limit), cancellationToken).ConfigureAwait(false);
        }
        catch (StreamJsonRpc.ConnectionLostException lost) when (_process is { } process)
        {
            // Say why the channel broke: the process died while the plugin set up (its exit code tells how).
            throw await EndedAsync(process, "during its setup").ConfigureAwait(false) ?? lost;
        }
        finally
        {
            _spares?.Refill(_user);
        }
    }

    /// <summary>Opens the channel of a process started for this plugin (a spare's is open). One that ends before it presents
    /// its secret says how (e.g. it refused to run in a weaker sandbox).</summary>
    private async Task OpenAsync(PluginProcess process, CancellationToken cancellationToken)
    {
        try
        {
            await process.Channel.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            throw await EndedAsync(process, "before it presented its secret").ConfigureAwait(false) ?? ex;
        }
    }

    /// <summary>When the channel failed because the process ended (waiting up to 2 s to know): how it ended, and
    /// <paramref name="when"/>; null while it still runs.</summary>
    private async Task<Exception?> EndedAsync(PluginProcess process, string when) =>
        await process.ExitCodeAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false) is { } code
            ? new PluginLoadException($"The plugin's process ({process.Id}) {ExitReason(code)} {when}.")
            : null;

    private async Task<(PluginProcess Process, bool IsSpare)> TakeOrStartAsync(CancellationToken cancellationToken)
    {
        if (_spares is not null && await _spares.TakeAsync(_user, cancellationToken).ConfigureAwait(false) is { } spare)
        {
            return (spare, true);
        }

        try
        {
            return (PluginProcess.Start(_settings, _user, _logger), false);
        }
        catch (System.ComponentModel.Win32Exception ex) when (_user is not null)
        {
            var closed = new[] { _workDir, _settings.Command[^1], _descriptor.Folder }.Select(PluginUser.FirstClosedFolder).FirstOrDefault(d => d is not null);
            throw new PluginLoadException(
                $"Could not start the plugin's process as '{_user.Name}': {ex.Message}. That account must be able to pass through the folders " +
                $"to its working directory ({_workDir}), the host's files ({_settings.Command[^1]}) and the plugin folder ({_descriptor.Folder})" +
                (closed is null ? "." : $"; {closed} is closed to others (chmod o+x it, or move the files)."));
        }
    }

    public Task TeardownAsync(CancellationToken cancellationToken) => _process?.Channel.TeardownAsync(cancellationToken) ?? Task.CompletedTask;

    public Task<ModuleHealth> CheckHealthAsync(CancellationToken cancellationToken) =>
        _process?.Channel.CheckHealthAsync(cancellationToken) ?? Task.FromResult(new ModuleHealth(HealthStatus.Error, "the plugin's process is not running"));

    private void OnExited(int code) => _exited($"The plugin's process ({ProcessId}) {ExitReason(code)}.");

    private string ExitReason(int code)
    {
        if (_process?.Channel.Broken is { } broken)
        {
            return broken + "; the host ended it";
        }

        var limit = _settings.MemoryLimitMb(Id) is { } mb ? $"; it may have exceeded its {mb} MB memory limit" : "";
        return code switch
        {
            134 => $"aborted (SIGABRT: Environment.FailFast, a stack overflow or an unhandled exception, e.g. out of memory{limit})",
            137 => $"was killed (SIGKILL{limit})",
            ChildHardening.RefusedExitCode => $"exited with code {code}: it could not make itself non-dumpable (prctl PR_SET_DUMPABLE) and refused to run " +
                                              "the plugin in a weaker sandbox; its line in the log says what failed",
            _ => $"exited with code {code}",
        };
    }

    /// <summary>Ends the child (see <see cref="ChildChannel.DisposeAsync"/>); its ending is then no crash.</summary>
    public async ValueTask DisposeAsync()
    {
        PluginProcess? process;
        lock (_gate)
        {
            _disposed = true;
            process = _process;
        }

        if (process is not null)
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }
    }
}
