namespace Lyndrix.Sdk;

/// <summary>
/// The contract every plugin's entry type implements. The host creates one instance per load,
/// calls <see cref="SetupAsync"/> once, and <see cref="TeardownAsync"/> when the plugin is disabled or unloaded.
/// </summary>
public interface ILyndrixModule
{
    /// <summary>Prepares the module: subscribe to topics, register providers, start tasks.</summary>
    /// <param name="context">The module's only handle to the host; it is confined to the module's manifest.</param>
    /// <param name="cancellationToken">Cancelled when setup exceeds the host's setup timeout or the host stops.</param>
    /// <returns>A task that completes when the module is ready.</returns>
    Task SetupAsync(IModuleContext context, CancellationToken cancellationToken);

    /// <summary>Releases what setup acquired outside the context. Subscriptions, tasks and providers made
    /// through the context are removed by the host regardless.</summary>
    /// <param name="cancellationToken">Cancelled when teardown exceeds the host's timeout.</param>
    /// <returns>A task that completes when the module has released its resources.</returns>
    Task TeardownAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Reports the module's health for <c>GET /api/health</c>.</summary>
    /// <param name="cancellationToken">Cancelled when the health check exceeds its time budget.</param>
    /// <returns>The module's current health.</returns>
    Task<ModuleHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(ModuleHealth.Ok);
}
