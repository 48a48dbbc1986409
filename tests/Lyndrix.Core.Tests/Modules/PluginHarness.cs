using Lyndrix.Core.Tests.Modules.Fakes;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>A plugin runtime over real bus, task tracker and provider registry, with temp plugin folders and in-memory stores.</summary>
internal sealed class PluginHarness : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private PluginRuntime? _runtime;

    public PluginHarness(bool captureLogs = true)
    {
        Root = Path.Combine(Path.GetTempPath(), "lyndrix-plugins-" + Guid.NewGuid().ToString("N")[..10]);
        PluginsDir = Path.Combine(Root, "plugins");
        BuiltInDir = Path.Combine(Root, "modules");
        Directory.CreateDirectory(PluginsDir);
        Directory.CreateDirectory(BuiltInDir);
        Logs = new CapturingLoggerProvider();
        _loggers = LoggerFactory.Create(b =>
        {
            b.SetMinimumLevel(LogLevel.Debug);
            if (captureLogs)
            {
                b.AddProvider(Logs);
            }
        });
        Bus = new EventBus(_loggers.CreateLogger<EventBus>(), TimeProvider.System);
        Tasks = new TaskTracker(_loggers.CreateLogger<TaskTracker>());
    }

    public string Root { get; }

    public string PluginsDir { get; }

    public string BuiltInDir { get; }

    public CapturingLoggerProvider Logs { get; }

    public EventBus Bus { get; }

    public TaskTracker Tasks { get; }

    public AuthProviderRegistry Providers { get; } = new();

    public InMemoryModuleSecretScopeFactory Secrets { get; } = new();

    public InMemoryPluginStateStore States { get; } = new();

    public TestConfigSource Config { get; } = new();

    public TimeSpan SetupTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan TeardownTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan UnloadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Set before <see cref="Runtime"/> is first used: a failed unload is inspected by the real <c>lyndrix</c>
    /// executable (built with the solution), as the host does by default.</summary>
    public bool ExplainHeld { get; set; }

    /// <summary>Set before <see cref="Runtime"/> is first used; trust mode 'any' when null.</summary>
    public Lyndrix.Core.Modules.Trust.PluginTrustVerifier? Trust { get; set; }

    /// <summary>Set before <see cref="Runtime"/> is first used; every plugin in-process when null.</summary>
    public Lyndrix.Core.Modules.Isolation.IsolationSettings? Isolation { get; set; }

    /// <summary>Runs the plugins from PLUGINS_DIR each in a child process of the real <c>lyndrix</c> executable (built with
    /// the solution), with working directories under <see cref="Root"/>; <paramref name="spares"/> is LYNDRIX_PLUGIN_SPARES.</summary>
    public PluginHarness Isolated(int restarts = 0, int spares = 1)
    {
        Isolation = new Lyndrix.Core.Modules.Isolation.IsolationSettings
        {
            DefaultMode = Lyndrix.Core.Modules.Isolation.IsolationSettings.Process,
            Command = ["dotnet", Lyndrix.Core.Tests.Support.HostProcess.Executable],
            WorkRoot = Path.Combine(Root, "work"),
            Config = Config,
            Restarts = restarts,
            Spares = spares,
        };
        return this;
    }

    public PluginRuntime Runtime => _runtime ??= new PluginRuntime(
        new PluginRuntimeSettings
        {
            PluginsDir = PluginsDir,
            BuiltInModulesDir = BuiltInDir,
            SetupTimeout = SetupTimeout,
            TeardownTimeout = TeardownTimeout,
            UnloadTimeout = UnloadTimeout,
            ExplainCommand = ExplainHeld ? ["dotnet", Lyndrix.Core.Tests.Support.HostProcess.Executable] : null,
        },
        Bus, Tasks, Secrets, Providers, States, Config, _loggers, trust: Trust, isolation: Isolation);

    /// <summary>Records every event on a topic, in order (an inline core subscription).</summary>
    public ConcurrentQueue<LyndrixEvent> Record(string topic)
    {
        var queue = new ConcurrentQueue<LyndrixEvent>();
        Bus.Subscribe(topic, "test", ev => queue.Enqueue(ev));
        return queue;
    }

    /// <summary>Copies the published Probe fixture into a plugin folder with the given manifest.</summary>
    public string AddProbe(string folder, JsonObject manifest, bool builtIn = false)
    {
        var dir = Path.Combine(builtIn ? BuiltInDir : PluginsDir, folder);
        PluginFixtures.CopyDirectory(PluginFixtures.Published("Probe"), dir);
        File.WriteAllText(Path.Combine(dir, "plugin.json"), manifest.ToJsonString());
        return dir;
    }

    /// <summary>Copies a published fixture or sample into a plugin folder, keeping its own plugin.json.</summary>
    public string AddPublished(string project, string? folder = null)
    {
        var dir = Path.Combine(PluginsDir, folder ?? project);
        PluginFixtures.CopyDirectory(PluginFixtures.Published(project), dir);
        return dir;
    }

    public async ValueTask DisposeAsync()
    {
        if (_runtime is not null)
        {
            await _runtime.DisposeAsync();
        }

        await Tasks.DisposeAsync();
        await Bus.DisposeAsync();
        _loggers.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
