using Lyndrix.Core.Boot;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Lifecycle;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Secrets.Support;

/// <summary>A lifecycle over a given backend, with its own bus, boot state, captured logs and recorded events.</summary>
internal sealed class LifecycleHarness : IAsyncDisposable
{
    private LifecycleHarness(SecretStoreSettings settings, ISecretBackend backend, AtomicFileWriter? writer)
    {
        Settings = settings;
        Backend = backend;
        Bus = new EventBus(Logs.CreateLogger<EventBus>(), TimeProvider.System);
        Boot = new BootState(TimeProvider.System);
        Events = new EventRecorder(Bus);
        KeyFile = new VaultKeyFile(settings.KeyFilePath, settings.Argon, writer);
        Lifecycle = new SecretLifecycle(Bus, backend, KeyFile, settings, Boot, TimeProvider.System, Logs.CreateLogger<SecretLifecycle>());
    }

    public CapturingLoggerProvider Logs { get; } = new();

    public SecretStoreSettings Settings { get; }

    public ISecretBackend Backend { get; }

    public EventBus Bus { get; }

    public BootState Boot { get; }

    public EventRecorder Events { get; }

    public VaultKeyFile KeyFile { get; }

    public SecretLifecycle Lifecycle { get; }

    public string? VaultDetail => Boot.Snapshot().Steps.FirstOrDefault(s => s.Name == "vault")?.Detail;

    public static async Task<LifecycleHarness> StartAsync(SecretStoreSettings settings, ISecretBackend backend, AtomicFileWriter? writer = null, bool emitStarted = true)
    {
        var harness = new LifecycleHarness(settings, backend, writer);
        await harness.Lifecycle.StartAsync(CancellationToken.None);
        if (emitStarted)
        {
            harness.Bus.Emit(CoreTopics.SystemStarted);
        }

        return harness;
    }

    /// <summary>Waits until nothing new was emitted for a while: proves that the lifecycle stopped rather than that it did not start yet.</summary>
    public async Task SettleAsync(int quietMilliseconds = 300)
    {
        var count = -1;
        while (count != Events.Events.Count)
        {
            count = Events.Events.Count;
            await Task.Delay(quietMilliseconds);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Lifecycle.DisposeAsync();
        Events.Dispose();
        await Bus.DisposeAsync();
    }
}
