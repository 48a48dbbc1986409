using System.Globalization;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;

namespace Probe;

/// <summary>
/// Settings: setup = ok|throw|hang (hang_ms), subscribe = comma-separated topics (each event is echoed on echo_topic),
/// secret_key/secret_value (written then read back), provider_id (registers an auth provider), task = true (a background
/// loop until cancelled), emit_on_setup = topic, teardown = ok|throw|hang, catch_denied = true (permission errors are
/// reported on probe:denied instead of failing setup), health = ok|degraded|throw|hang, crash_after_ms = N (FailFast after N ms),
/// teardown = wedge (starts a foreground thread that never ends, then hangs: its process cannot exit by itself),
/// allocate_mb = N (after setup, a thread allocates N MB and keeps it: past a memory limit, the process dies),
/// process_exit = true (subscribes to AppDomain.ProcessExit and never unsubscribes: the commonest way a plugin pins its code),
/// break_channel = huge_message|endless_header|close (isolated only: an event on a subscribed topic has it attack its own channel, see ChannelBreaker).
/// </summary>
public sealed class ProbeModule : ILyndrixModule
{
    private IModuleContext? _context;
    private int _exits;

    public async Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        _context = context;
        var id = context.Manifest.Id;
        var echo = Setting("echo_topic");
        try
        {
            foreach (var topic in (Setting("subscribe") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                context.Subscribe(topic, async (ev, ct) =>
                {
                    if (Setting("break_channel") is { } attack)
                    {
                        ChannelBreaker.Start(attack);
                        return;
                    }

                    // A payload with "reads" = N: read secret_key N times first (the benchmarks time the secret channel so).
                    var reads = ev.Payload.GetInt64("reads") ?? 0;
                    var found = 0L;
                    if (ev.Payload.GetInt64("increments") is { } increments)
                    {
                        await Task.WhenAll(Enumerable.Range(0, (int)increments).Select(_ => Task.Run(() =>
                            context.UpdateSecretAsync("counter", v => (int.Parse(v ?? "0", CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture), ct), ct)));
                    }

                    for (var i = 0; i < reads; i++)
                    {
                        found += await context.GetSecretAsync(Setting("secret_key") ?? "k", ct) is null ? 0 : 1;
                    }

                    if (echo is not null)
                    {
                        context.Emit(echo, EventPayload.Create(("heard", ev.Topic), ("replayed", ev.Replayed), ("by", id), ("payload", ev.Payload), ("found", found)));
                    }
                });
            }

            if (Setting("emit_on_setup") is { } first)
            {
                // The module version id tells one build of the code from another (a reload must run the new one).
                // The directory and heap limit it runs with tell an isolated plugin's sandbox (the same in-process as the host's).
                context.Emit(first, EventPayload.Create(("plugin", id), ("mvid", typeof(ProbeModule).Module.ModuleVersionId.ToString()),
                    ("directory", Environment.CurrentDirectory), ("heap_limit", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes), ("pid", (long)Environment.ProcessId)));
            }
        }
        catch (ModulePermissionDeniedException ex) when (Setting("catch_denied") == "true")
        {
            context.Emit("probe:denied", EventPayload.Create(("operation", ex.Operation), ("resource", ex.Resource)));
        }

        if (Setting("secret_key") is { } key)
        {
            var value = Setting("secret_value") ?? "v";
            await context.SetSecretAsync(key, value, cancellationToken);
            var back = await context.GetSecretAsync(key, cancellationToken);
            if (back != value)
            {
                throw new InvalidOperationException($"secret round trip returned '{back}'");
            }
        }

        if (Setting("provider_id") is { } providerId)
        {
            context.RegisterAuthProvider(new ProbeAuthProvider(providerId));
        }

        if (Setting("task") == "true")
        {
            _ = context.CreateTask("ticker", async ct =>
            {
                while (!ct.IsCancellationRequested)
                {
                    await Task.Delay(20, ct);
                }
            });
        }

        switch (Setting("setup"))
        {
            case "throw":
                throw new InvalidOperationException("probe setup failure requested");
            case "hang":
                // Ignores the cancellation token on purpose: the worst kind of plugin.
                await Task.Delay(int.Parse(Setting("hang_ms") ?? "3000", CultureInfo.InvariantCulture), CancellationToken.None);
                break;
        }

        if (Setting("crash_after_ms") is { } crashAfter)
        {
            // Kills its own process, as a plugin with a fatal bug would: only meaningful when the plugin runs isolated.
            _ = Task.Run(async () =>
            {
                await Task.Delay(int.Parse(crashAfter, CultureInfo.InvariantCulture), CancellationToken.None);
                Environment.FailFast("probe crash requested");
            }, CancellationToken.None);
        }

        if (Setting("allocate_mb") is { } allocate)
        {
            var hold = new List<byte[]>();
            new Thread(() =>
            {
                for (var mb = 0; mb < int.Parse(allocate, CultureInfo.InvariantCulture); mb++)
                {
                    var chunk = new byte[1024 * 1024];
                    Array.Fill(chunk, (byte)1);
                    hold.Add(chunk);
                }

                Thread.Sleep(Timeout.Infinite);
            }) { IsBackground = true }.Start();
        }

        if (Setting("process_exit") == "true")
        {
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        }

        context.Logger.LogProbe("probe {0} set up", id);
    }

    // Does nothing at exit (the host's logging may be gone by then); being subscribed is the point.
    private void OnProcessExit(object? sender, EventArgs e) => _exits++;

    public async Task TeardownAsync(CancellationToken cancellationToken)
    {
        switch (Setting("teardown"))
        {
            case "throw":
                throw new InvalidOperationException("probe teardown failure requested");
            case "hang":
                await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
                break;
            case "wedge":
                new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = false }.Start();
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
                break;
        }
    }

    public async Task<ModuleHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        switch (Setting("health"))
        {
            case "degraded":
                return new ModuleHealth(HealthStatus.Degraded, "probe degraded on request");
            case "throw":
                throw new InvalidOperationException("probe health failure requested: secret-in-message");
            case "hang":
                await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
                return ModuleHealth.Ok;
            default:
                return ModuleHealth.Ok;
        }
    }

    private string? Setting(string key) =>
        _context is not null && _context.Settings.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v) ? v : null;
}
