using Lyndrix.Core.Configuration;
using Lyndrix.Core.Tests.Modules.Fakes;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Trust;
using Lyndrix.Core.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Benchmarks;

/// <summary>The plugin runtime as the host builds it (real bus, task tracker, provider registry), with in-memory secret and
/// state stores and no logging output, over a given plugins folder.</summary>
internal sealed class RuntimeHarness : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers = NullLoggerFactory.Instance;

    public RuntimeHarness(
        string pluginsDir, string builtInDir, TimeSpan? unloadTimeout = null, PluginTrustVerifier? trust = null,
        IModuleSecretScopeFactory? secrets = null, Lyndrix.Core.Modules.Isolation.IsolationSettings? isolation = null)
    {
        Secrets = secrets ?? new InMemoryModuleSecretScopeFactory();
        Bus = new EventBus(NullLogger<EventBus>.Instance, TimeProvider.System);
        Tasks = new TaskTracker(NullLogger<TaskTracker>.Instance);
        Runtime = new PluginRuntime(
            new PluginRuntimeSettings
            {
                PluginsDir = pluginsDir,
                BuiltInModulesDir = builtInDir,
                SetupTimeout = TimeSpan.FromSeconds(30),
                TeardownTimeout = TimeSpan.FromSeconds(5),
                UnloadTimeout = unloadTimeout ?? TimeSpan.FromSeconds(10),
            },
            Bus, Tasks, Secrets, Providers, new InMemoryPluginStateStore(), EnvironmentConfigSource.FromValues(new Dictionary<string, string>()), _loggers,
            trust: trust, isolation: isolation);
    }

    public EventBus Bus { get; }

    public TaskTracker Tasks { get; }

    public AuthProviderRegistry Providers { get; } = new();

    public IModuleSecretScopeFactory Secrets { get; }

    public PluginRuntime Runtime { get; }

    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync();
        await Tasks.DisposeAsync();
        await Bus.DisposeAsync();
    }
}
