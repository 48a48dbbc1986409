using System.Collections.Concurrent;
using System.Text.Json;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Sdk.Testing;

/// <summary>
/// An in-memory stand-in for the Lyndrix host, for unit tests of one module. It applies the host's rules: topics must be
/// declared in the manifest (and plugins may not emit the core's topics), secret keys are confined to the module, built-in
/// auth provider ids are refused, readiness topics (<see cref="CoreTopics.Sticky"/>) replay their latest event to late
/// subscribers. Handlers run when you <see cref="PublishAsync"/>, and every call waits until they are done, so tests need
/// no sleeps.
/// </summary>
/// <example>
/// <code>
/// await using var host = ModuleTestHost.FromManifestFile("plugin.json");
/// await host.StartAsync(new HelloModule());
/// await host.PublishAsync(CoreTopics.SystemBootComplete);
/// Assert.That(host.EmittedEvents.Single().Topic, Is.EqualTo("hello:greeted"));
/// </code>
/// </example>
public sealed class ModuleTestHost : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<(string Topic, Func<LyndrixEvent, CancellationToken, Task> Handler)> _subscriptions = [];
    private readonly Dictionary<string, LyndrixEvent> _latest = new(StringComparer.Ordinal);
    private readonly List<Task> _pending = [];
    private readonly List<Task> _tasks = [];
    private readonly ConcurrentQueue<LyndrixEvent> _emitted = new();
    private readonly ConcurrentQueue<ModulePermissionDeniedException> _denials = new();
    private readonly ConcurrentQueue<TestLogEntry> _logs = new();
    private readonly ConcurrentDictionary<string, IAuthProvider> _providers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ModuleManifest> _installed = new();
    private readonly ConcurrentDictionary<string, string> _secrets = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeProvider _time;
    private readonly string? _folder;
    private ILyndrixModule? _module;
    private ChildChannel? _child;
    private DirectoryInfo? _childWorkDir;

    /// <summary>Creates a host for a module with the given manifest, which must pass the host's manifest rules (the entry
    /// assembly, when named, is checked for its shape only: a manifest built in code has no folder).</summary>
    /// <param name="manifest">The module's manifest; its permissions and settings schema apply.</param>
    /// <param name="timeProvider">The clock for event timestamps; the system clock when <see langword="null"/>.</param>
    /// <exception cref="InvalidDataException">The host would refuse the manifest; the message lists why, in the host's words.</exception>
    public ModuleTestHost(ModuleManifest manifest, TimeProvider? timeProvider = null)
        : this(Checked(JsonSerializer.SerializeToUtf8Bytes(manifest ?? throw new ArgumentNullException(nameof(manifest))), null, "The manifest"), timeProvider, null)
    {
    }

    private ModuleTestHost(ModuleManifest manifest, TimeProvider? timeProvider, string? folder)
    {
        Manifest = manifest;
        _folder = folder;
        _time = timeProvider ?? TimeProvider.System;
        foreach (var setting in manifest.SettingsSchema.Where(s => s.Kind != "secret"))
        {
            Settings[setting.Key] = setting.Default;
        }

        Context = new TestModuleContext(this);
    }

    /// <summary>Creates a host from a <c>plugin.json</c> (the plugin project copies it next to the test assembly).</summary>
    /// <param name="path">The manifest file; relative paths are resolved against the test's base directory.</param>
    /// <returns>The host.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a manifest, or the host would refuse it (the message lists why,
    /// in the host's words).</exception>
    public static ModuleTestHost FromManifestFile(string path = "plugin.json")
    {
        var full = Path.GetFullPath(path, AppContext.BaseDirectory);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"No manifest at {full}. Reference the plugin project from the test project: its plugin.json is copied to the test output.", full);
        }

        var folder = Path.GetDirectoryName(full);
        return new ModuleTestHost(Checked(File.ReadAllBytes(full), folder, full), null, folder);
    }

    /// <summary>The host's own manifest rules (<c>PluginManifestReader</c>, compiled into this package), applied as the host
    /// applies them to a plugin from <c>PLUGINS_DIR</c>.</summary>
    private static ModuleManifest Checked(ReadOnlyMemory<byte> json, string? folder, string source)
    {
        var descriptor = PluginManifestReader.Parse(json, folder, PluginOrigin.PluginsDirectory, SemanticVersion.Parse(LyndrixApi.Version));
        if (!descriptor.IsValid)
        {
            throw new InvalidDataException($"{source} would be refused by the host:\n- {string.Join("\n- ", descriptor.Errors)}");
        }

        if (descriptor.Incompatibility is { } incompatible)
        {
            throw new InvalidDataException($"{source} would not start on this plugin API ({LyndrixApi.Version}): {incompatible}");
        }

        return descriptor.Manifest!;
    }

    /// <summary>The module's manifest.</summary>
    public ModuleManifest Manifest { get; }

    /// <summary>The context handed to the module; usable directly in tests of helpers that take an <see cref="IModuleContext"/>.</summary>
    public IModuleContext Context { get; }

    /// <summary>The module's settings: schema defaults; change them before <see cref="StartAsync"/> to simulate an operator's overrides.</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The fields of the module's own secret; seed them before start, inspect them after.</summary>
    public IDictionary<string, string> Secrets => _secrets;

    /// <summary>Where <see cref="StartAsync"/> runs the module: in this process, or in a child process of the <c>lyndrix</c>
    /// host, as <c>"isolation": "process"</c> runs it. The default is <c>LYNDRIX_TEST_ISOLATION</c> (<c>inprocess</c> or
    /// <c>process</c>), so one suite of tests runs in both modes unchanged.</summary>
    public TestIsolation Isolation { get; set; } = TestIsolationSetting.FromEnvironment();

    /// <summary>The <c>lyndrix</c> host that starts process-isolated modules: its executable, or <c>lyndrix.dll</c>. The default
    /// is <c>LYNDRIX_HOST</c>; when that is unset, <c>lyndrix</c> on the <c>PATH</c> or in <c>~/.dotnet/tools</c> (the .NET tool
    /// <c>Lyndrix.Tool</c>).</summary>
    public string? HostPath { get; set; } = Environment.GetEnvironmentVariable(TestIsolationSetting.HostVariable);

    /// <summary>When <see langword="false"/>, secret reads and writes throw <see cref="SecretStoreUnavailableException"/>, as when the
    /// store is sealed.</summary>
    public bool SecretStoreAvailable { get; set; } = true;

    /// <summary>Every event the module emitted, in order.</summary>
    public IReadOnlyList<LyndrixEvent> EmittedEvents => [.. _emitted];

    /// <summary>Every operation the host refused (the real host also logs a warning and emits <c>security:permission_denied</c>).</summary>
    public IReadOnlyList<ModulePermissionDeniedException> PermissionDenials => [.. _denials];

    /// <summary>The auth providers the module registered, by id.</summary>
    public IReadOnlyDictionary<string, IAuthProvider> AuthProviders => _providers;

    /// <summary>What the module logged.</summary>
    public IReadOnlyList<TestLogEntry> Logs => [.. _logs];

    /// <summary>Topics the module subscribed to (one entry per subscription).</summary>
    public IReadOnlyList<string> Subscriptions
    {
        get
        {
            lock (_gate)
            {
                return _subscriptions.Select(s => s.Topic).ToList();
            }
        }
    }

    internal CancellationToken Stopping => _stopping.Token;

    internal ConcurrentQueue<TestLogEntry> LogQueue => _logs;

    internal TimeProvider Time => _time;

    internal ConcurrentDictionary<string, string> SecretFields => _secrets;

    /// <summary>Runs the module's setup, then waits for any replayed events it subscribed to. With
    /// <see cref="Isolation"/> <see cref="TestIsolation.Process"/>, the <c>lyndrix</c> host's <c>plugin-host</c> child loads the
    /// plugin from the manifest's folder, creates its own instance of the module there and sets it up over the host's own
    /// channel, against this test host: <paramref name="module"/> only names the type, and the test observes the module
    /// through this host (events, secrets, logs, auth providers), as the real host would.</summary>
    /// <param name="module">The module under test.</param>
    /// <param name="cancellationToken">Passed to the module's setup.</param>
    /// <returns>A task that completes when setup and the handlers it triggered are done.</returns>
    /// <exception cref="InvalidOperationException">Process mode only: no <c>lyndrix</c> host was found, the host was not
    /// created from a <c>plugin.json</c> file, the module is not the manifest's entry assembly's, or the child could not load
    /// or set up the plugin (the message says which; a setup's own exception arrives as its type name and message).</exception>
    public async Task StartAsync(ILyndrixModule module, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (_module is not null)
        {
            throw new InvalidOperationException("The module is already started; use a new ModuleTestHost per test.");
        }

        _module = module;
        if (Isolation == TestIsolation.Process)
        {
            await StartInChildAsync(module, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await module.SetupAsync(Context, cancellationToken).ConfigureAwait(false);
        }

        await DrainAsync().ConfigureAwait(false);
    }

    private async Task StartInChildAsync(ILyndrixModule module, CancellationToken cancellationToken)
    {
        var folder = _folder ?? throw new InvalidOperationException(
            "Process mode loads the plugin from its folder, as the host does: create the test host with ModuleTestHost.FromManifestFile.");
        var assembly = module.GetType().Assembly.GetName().Name + ".dll";
        if (!string.Equals(assembly, Manifest.EntryAssembly, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"The module's type comes from {assembly}, but the manifest's entryAssembly is {Manifest.EntryAssembly}: in process mode the child loads {Manifest.EntryAssembly}.");
        }

        // The host is found first: a missing one leaves no scratch folder behind.
        var info = ChildProcessStart.Info(TestIsolationSetting.HostCommand(HostPath), ["plugin-host"], ChildProcessStart.DotnetEnvironment());
        _childWorkDir = Directory.CreateTempSubdirectory("lyndrix-test-child-");
        var staged = Path.Combine(_childWorkDir.FullName, "plugin");
        PluginFolderStaging.Copy(folder, Manifest.EntryAssembly!, staged);
        info.WorkingDirectory = _childWorkDir.FullName;
        var process = new System.Diagnostics.Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                _logs.Enqueue(new TestLogEntry(Microsoft.Extensions.Logging.LogLevel.Information, line, null));
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        // One line in the test's output, so a run says which mode it tested.
        Console.WriteLine($"ModuleTestHost: {Manifest.Id} runs in a child process ({process.Id}) of {info.FileName} {string.Join(' ', info.ArgumentList)}");
        _child = new ChildChannel(process, Context.Logger);
        await _child.SetupAsync(staged, Context, ((TestModuleContext)Context).UpdateSecretAsync, Context.Logger, ChildSandbox.None, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Emits an event as the core would, delivers it to the module's subscriptions and waits for the handlers.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="payload">The payload; empty when <see langword="null"/>.</param>
    /// <returns>A task that completes when every handler finished; a handler's exception is rethrown.</returns>
    public Task PublishAsync(string topic, EventPayload? payload = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Lyndrix.Core.Events.TopicName.Validate(topic);
        Deliver(new LyndrixEvent(topic, payload ?? EventPayload.Empty, _time.GetUtcNow(), "core"));
        return DrainAsync();
    }

    /// <summary>Calls the module's teardown, cancels its tasks and forgets its subscriptions and providers, as disable does.</summary>
    /// <param name="cancellationToken">Passed to teardown.</param>
    /// <returns>A task that completes when teardown and the module's tasks have ended.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_child is { } child)
        {
            _module = null;
            _child = null;
            try
            {
                await child.TeardownAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await child.DisposeAsync().ConfigureAwait(false);
                _childWorkDir?.Delete(recursive: true);
            }
        }
        else if (_module is { } module)
        {
            _module = null;
            await module.TeardownAsync(cancellationToken).ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] tasks;
        lock (_gate)
        {
            tasks = [.. _tasks];
            _subscriptions.Clear();
        }

        _providers.Clear();
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Waits until every task the module started with <see cref="IModuleContext.CreateTask"/> has ended.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>A task that completes when they have ended.</returns>
    /// <exception cref="TimeoutException">They did not end in time.</exception>
    public Task WhenTasksCompleteAsync(TimeSpan timeout)
    {
        lock (_gate)
        {
            return Task.WhenAll(_tasks).WaitAsync(timeout);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    internal IDisposable Subscribe(string topic, Func<LyndrixEvent, CancellationToken, Task> handler)
    {
        var entry = (topic, handler);
        lock (_gate)
        {
            _subscriptions.Add(entry);
            if (_latest.TryGetValue(topic, out var latest))
            {
                _pending.Add(Invoke(handler, latest with { Replayed = true }));
            }
        }

        return new Unsubscriber(this, entry);
    }

    /// <summary>Declares another installed plugin, so the emit rule can see which domains it owns and whom it lets emit in
    /// them (its <c>event_domains</c> and <c>event_emitters</c>), as the host does with every installed plugin.</summary>
    /// <param name="manifest">The other plugin's manifest.</param>
    public void AddInstalledPlugin(ModuleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        _installed.Enqueue(manifest);
    }

    internal IReadOnlyList<ModuleManifest> DomainOwners(string domain) =>
        _installed.Append(Manifest).Where(m => m.OwnsDomain(domain)).ToList();

    internal void Emitted(LyndrixEvent ev)
    {
        _emitted.Enqueue(ev);
        Deliver(ev);
    }

    internal void Denied(ModulePermissionDeniedException ex) => _denials.Enqueue(ex);

    internal void AddProvider(IAuthProvider provider) => _providers[provider.ProviderId] = provider;

    internal Task Track(string name, Func<CancellationToken, Task> work)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await work(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                _logs.Enqueue(new TestLogEntry(Microsoft.Extensions.Logging.LogLevel.Error, $"TASK_FAILED {Manifest.Id}/{name}: {ex.Message}", ex));
            }
        });
        lock (_gate)
        {
            _tasks.Add(task);
        }

        return task;
    }

    private void Deliver(LyndrixEvent ev)
    {
        lock (_gate)
        {
            if (CoreTopics.Sticky.Contains(ev.Topic))
            {
                _latest[ev.Topic] = ev;
            }

            foreach (var (topic, handler) in _subscriptions.Where(s => s.Topic == ev.Topic).ToList())
            {
                _pending.Add(Invoke(handler, ev));
            }
        }
    }

    private Task Invoke(Func<LyndrixEvent, CancellationToken, Task> handler, LyndrixEvent ev) =>
        Task.Run(() => handler(ev, _stopping.Token));

    private async Task DrainAsync()
    {
        while (true)
        {
            Task[] pending;
            lock (_gate)
            {
                pending = [.. _pending];
                _pending.Clear();
            }

            if (pending.Length == 0)
            {
                return;
            }

            await Task.WhenAll(pending).ConfigureAwait(false);
        }
    }

    private sealed class Unsubscriber(ModuleTestHost host, (string, Func<LyndrixEvent, CancellationToken, Task>) entry) : IDisposable
    {
        public void Dispose()
        {
            lock (host._gate)
            {
                host._subscriptions.Remove(entry);
            }
        }
    }
}
