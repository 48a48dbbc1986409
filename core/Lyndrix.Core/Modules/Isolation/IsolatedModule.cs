using System.Diagnostics;
using System.Security.Cryptography;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// A plugin running in a child process, seen by the runtime as an ordinary <see cref="ILyndrixModule"/>. The child is
/// the host's own executable with the hidden <c>plugin-host</c> command: an empty environment (nothing of the host's
/// settings or secrets), a working directory of its own, an optional GC heap limit, and stdin/stdout as the JSON-RPC
/// channel (StreamJsonRpc; no port). The host writes a one-time secret to its stdin, which the child must present first.
/// Its stderr becomes log lines under the module's category. When the process ends unexpectedly, <c>exited</c> is told why.
/// </summary>
internal sealed class IsolatedModule : ILyndrixModule, IAsyncDisposable
{
    private readonly Process _process;
    private readonly PluginDescriptor _descriptor;
    private readonly IsolationSettings _settings;
    private readonly ILogger _logger;
    private readonly byte[] _secret;
    private readonly Action<string> _exited;
    private JsonRpc? _rpc;
    private IPluginChildRpc? _child;
    private volatile bool _disposing;

    private IsolatedModule(Process process, PluginDescriptor descriptor, IsolationSettings settings, ILogger logger, byte[] secret, Action<string> exited)
    {
        _process = process;
        _descriptor = descriptor;
        _settings = settings;
        _logger = logger;
        _secret = secret;
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

        var info = IsolationSettings.ChildStartInfo(settings.Command, [PluginHostCommand.CommandName], settings.ChildEnvironment(id));
        info.WorkingDirectory = workDir;
        if (user is not null)
        {
            info.UserName = user.Name;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var secret = RandomNumberGenerator.GetBytes(32);
        var module = new IsolatedModule(process, descriptor, settings, logger, Convert.ToHexStringLower(secret).Select(c => (byte)c).ToArray(), exited);
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

    public async Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        var stdin = _process.StandardInput.BaseStream;
        await stdin.WriteAsync(_secret.Append((byte)'\n').ToArray(), cancellationToken).ConfigureAwait(false);
        await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
        _rpc = new JsonRpc(new HeaderDelimitedMessageHandler(stdin, _process.StandardOutput.BaseStream, new SystemTextJsonFormatter()));
        _rpc.AddLocalRpcTarget<IPluginHostRpc>(new HostRpcTarget(context, () => _child!, _logger, _secret), null);
        _child = _rpc.Attach<IPluginChildRpc>();
        _rpc.StartListening();
        var manifestJson = System.Text.Json.JsonSerializer.Serialize(context.Manifest);
        var error = await _child.SetupAsync(new ChildSetup(_descriptor.Folder, manifestJson, context.Settings.ToDictionary()), cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            throw new InvalidOperationException(error);
        }
    }

    public async Task TeardownAsync(CancellationToken cancellationToken)
    {
        if (_child is not null && !_process.HasExited)
        {
            await _child.TeardownAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<ModuleHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (_child is null || _process.HasExited)
        {
            return new ModuleHealth(HealthStatus.Error, "the plugin's process is not running");
        }

        var health = await _child.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        return new ModuleHealth(Enum.TryParse<HealthStatus>(health.Status, out var s) ? s : HealthStatus.Unknown, health.Message);
    }

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

    /// <summary>Ends the child: closes the channel (the child exits on its own), then kills it if it lingers.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposing = true;
        _rpc?.Dispose();
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Already gone: the pipe broke, or disposing the channel closed it first.
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _logger.LogWarning("The plugin's process ({Pid}) did not end within 2s after its channel closed; killed", _process.Id);
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        _process.Dispose();
    }
}
