using System.Diagnostics;
using System.Security.Cryptography;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>How the starter runs one atomic update of a secret field whose function lives in the child: it calls
/// <paramref name="apply"/> (a call across the channel) for each attempt.</summary>
internal delegate Task<string?> RemoteSecretUpdate(string key, Func<string?, CancellationToken, Task<string?>> apply, CancellationToken cancellationToken);

/// <summary>
/// The starter's end of one plugin process running <c>lyndrix plugin-host</c>: it writes a one-time secret to the child's
/// stdin, opens the JSON-RPC channel on the child's stdin/stdout (StreamJsonRpc; no port) and waits for the child to present
/// the secret (<see cref="OpenAsync"/>; a spare process waits here), then serves one plugin's context on it and asks the child
/// to set up, tear down and report health. Disposing closes the channel (the child exits on its own) and kills a child that
/// lingers. Used by the host (<c>IsolatedModule</c>) and by the test kit's process mode.
/// </summary>
internal sealed class ChildChannel(Process process, ILogger logger) : IAsyncDisposable
{
    private volatile ILogger _logger = logger;
    private volatile bool _closing;
    private volatile string? _broken;
    private readonly byte[] _secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)).Select(c => (byte)c).ToArray();
    private JsonRpc? _rpc;
    private HostRpcTarget? _host;
    private IPluginChildRpc? _child;

    /// <summary>Where what is said about this process is logged (its stderr, a forced end): the starter's category until a
    /// plugin takes the process, then the plugin's.</summary>
    public ILogger Logger
    {
        get => _logger;
        set => _logger = value;
    }

    /// <summary>How the child broke its channel, when the host ended it for that (e.g. "sent a message of … bytes; …"), in
    /// words that follow "the plugin's process"; null otherwise.</summary>
    public string? Broken => _broken;

    /// <summary>Opens the channel and waits until the child has presented its secret.</summary>
    /// <exception cref="InvalidOperationException">The child ended, or closed the channel, before it did.</exception>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        var stdin = process.StandardInput.BaseStream;
        await stdin.WriteAsync(_secret.Append((byte)'\n').ToArray(), cancellationToken).ConfigureAwait(false);
        await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
        _rpc = new JsonRpc(ChannelWire.FromPlugin(stdin, process.StandardOutput.BaseStream));
        _rpc.Disconnected += (_, e) => _ = OnDisconnectedAsync(e.Exception);
        _host = new HostRpcTarget(() => _child!, _logger, _secret);
        _rpc.AddLocalRpcTarget<IPluginHostRpc>(_host, null);
        _child = _rpc.Attach<IPluginChildRpc>();
        _rpc.StartListening();
        if (await Task.WhenAny(_host.Greeted, _rpc.Completion).WaitAsync(cancellationToken).ConfigureAwait(false) != _host.Greeted)
        {
            throw new InvalidOperationException($"The plugin's process ({process.Id}) closed its channel before it presented its secret.");
        }
    }

    /// <summary>Has a spare rehearse a setup (see <see cref="IPluginChildRpc.RehearseAsync"/>).</summary>
    public Task RehearseAsync(CancellationToken cancellationToken) =>
        _child!.RehearseAsync(new ChildSetup("", "{}", [], ChildSandbox.None), cancellationToken);

    /// <summary>Serves <paramref name="context"/> to the child (opening the channel first if needed), and has the child enter
    /// its <paramref name="sandbox"/>, load the plugin in <paramref name="folder"/> and run its setup.</summary>
    /// <exception cref="InvalidOperationException">The child could not load the plugin, or its setup threw (the message says which).</exception>
    public async Task SetupAsync(
        string folder, IModuleContext context, RemoteSecretUpdate update, ILogger moduleLogger, ChildSandbox sandbox, CancellationToken cancellationToken)
    {
        if (_rpc is null)
        {
            await OpenAsync(cancellationToken).ConfigureAwait(false);
        }

        _host!.Bind(context, update, moduleLogger);
        var manifestJson = System.Text.Json.JsonSerializer.Serialize(context.Manifest);
        var error = await _child!.SetupAsync(new ChildSetup(folder, manifestJson, context.Settings.ToDictionary(), sandbox), cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            throw new InvalidOperationException(error);
        }
    }

    public async Task TeardownAsync(CancellationToken cancellationToken)
    {
        if (_child is not null && !process.HasExited)
        {
            await _child.TeardownAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<ModuleHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (_child is null || process.HasExited)
        {
            return new ModuleHealth(HealthStatus.Error, "the plugin's process is not running");
        }

        var health = await _child.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        return new ModuleHealth(Enum.TryParse<HealthStatus>(health.Status, out var s) ? s : HealthStatus.Unknown, health.Message);
    }

    /// <summary>The channel closed without the host closing it. A child that broke the framing is ended at once; one that closed
    /// its end is given the usual 2 s to end (a dying process closes it first), then ended: a plugin's process never lives on
    /// without its channel. Its exit is then reported as usual, with <see cref="Broken"/> saying why.</summary>
    private async Task OnDisconnectedAsync(Exception? exception)
    {
        if (_closing)
        {
            return;
        }

        var refused = exception;
        while (refused is not null and not ChannelMessageRefusedException)
        {
            refused = refused.InnerException;
        }

        if ((refused is null && await EndsWithinGraceAsync().ConfigureAwait(false)) || _closing)
        {
            return;
        }

        var why = refused?.Message ?? "closed its channel and did not end within 2s";
        _broken = why;
        try
        {
            _logger.LogWarning("The plugin's process ({Pid}) {Why}; the host ended it", process.Id, why);
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already ended, or disposed: nothing left to end.
        }
    }

    /// <summary>Ends the child: closes the channel (the child exits on its own), then kills it if it lingers past 2 s.</summary>
    public async ValueTask DisposeAsync()
    {
        _closing = true;
        _rpc?.Dispose();
        if (!process.HasExited)
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Already gone: the pipe broke, or disposing the channel closed it first.
            }

            if (!await EndsWithinGraceAsync().ConfigureAwait(false))
            {
                _logger.LogWarning("The plugin's process ({Pid}) did not end within 2s after its channel closed; killed", process.Id);
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        process.Dispose();
    }

    /// <summary>Whether the child ends within the 2 s a process is given once its channel has closed (true also when it was
    /// disposed meanwhile: ended on purpose).</summary>
    private async Task<bool> EndsWithinGraceAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
