using System.Text.Json;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>The child's side of the channel: loads the plugin with the host's loader rules and serves the host's calls.</summary>
internal sealed class ChildRpcTarget(Func<IPluginHostRpc> host) : IPluginChildRpc
{
    private LoadedPlugin? _code;
    private ILyndrixModule? _module;
    private ChildModuleContext? _context;

    public async Task<string?> SetupAsync(ChildSetup setup, CancellationToken cancellationToken)
    {
        try
        {
            setup.Sandbox.Enter();
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return "The plugin's process could not enter its sandbox: " + ex.Message;
        }

        var manifest = JsonSerializer.Deserialize<ModuleManifest>(setup.ManifestJson)!;
        var descriptor = PluginManifestReader.Read(setup.Folder, PluginOrigin.PluginsDirectory);
        if (!descriptor.IsValid || descriptor.Manifest!.Id != manifest.Id)
        {
            return $"The plugin folder {setup.Folder} no longer holds '{manifest.Id}'.";
        }

        try
        {
            _code = PluginCodeLoader.Load(descriptor, SharedAssemblyPolicy.Host);
            _module = _code.CreateModule();
        }
        catch (Exception ex) when (ex is PluginLoadException or System.Reflection.TargetInvocationException)
        {
            return ex is System.Reflection.TargetInvocationException t ? $"The constructor threw {t.InnerException?.GetType().Name}: {t.InnerException?.Message}" : ex.Message;
        }

        _context = new ChildModuleContext(ManifestCopy.Freeze(manifest), setup.Settings, host());
        try
        {
            await _module.SetupAsync(_context, cancellationToken).ConfigureAwait(false);
            await _context.ReportProviderChangesAsync().ConfigureAwait(false);
            await _context.FlushLogsAsync().ConfigureAwait(false);
            _ = WatchProvidersAsync(_context);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return $"Setup threw {ex.GetType().Name}: {ex.Message}";
        }
    }

    public async Task RehearseAsync(ChildSetup sample, CancellationToken cancellationToken)
    {
        var rehearsed = ChildRehearsal.Run();
        await host().LogAsync((int)Microsoft.Extensions.Logging.LogLevel.Debug, rehearsed).ConfigureAwait(false);
    }

    /// <summary>Catches changes made outside setup and handlers (a task, a timer) within a second.</summary>
    private static async Task WatchProvidersAsync(ChildModuleContext context)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(context.Stopping).ConfigureAwait(false))
            {
                await context.ReportProviderChangesAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Stopped, or the channel closed.
        }
    }

    public async Task TeardownAsync(CancellationToken cancellationToken)
    {
        _context?.Stop();
        if (_module is not null)
        {
            await _module.TeardownAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<WireHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var health = _module is null ? new ModuleHealth(HealthStatus.Unknown, "not set up") : await _module.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        return new WireHealth(health.Status.ToString(), health.Message);
    }

    public async Task<WireAuthResult?> AuthenticateAsync(string providerId, string username, string password, CancellationToken cancellationToken)
    {
        if (_context?.Provider(providerId) is not { } provider)
        {
            return null;
        }

        var r = await provider.AuthenticateAsync(username, password, cancellationToken).ConfigureAwait(false);
        return r is null ? null : new WireAuthResult(r.Username, r.FullName, r.Email, r.EmailVerified, [.. r.Roles], r.ProviderUserId);
    }

    public Task<string?> ApplySecretUpdateAsync(long update, string? current, CancellationToken cancellationToken) =>
        Task.FromResult(_context is null ? current : _context.ApplyUpdate(update, current));

    public Task DeliverAsync(long subscription, WireEvent ev, CancellationToken cancellationToken) =>
        _context is null
            ? Task.CompletedTask
            : _context.DeliverAsync(subscription, new LyndrixEvent(ev.Topic, WirePayload.FromJson(ev.Payload), ev.Timestamp, ev.Source, ev.Replayed), cancellationToken);
}
