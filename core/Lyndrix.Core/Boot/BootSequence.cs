using Lyndrix.Core.Configuration;
using Lyndrix.Core.Events;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Boot;

/// <summary>
/// Drives the boot: <c>system:started</c> → <c>vault:opened</c> → <c>db:connected</c> → <c>iam:ready</c> → plugins →
/// <c>system:boot_complete</c>. The services react to the topics themselves; this class waits on each readiness topic
/// with a timeout, reports which step it waits on, and emits <c>system:boot_complete</c> only after every enabled plugin
/// has finished setup. A timed-out step fails the boot phase but keeps listening, so a late unseal still completes the boot.
/// </summary>
internal sealed class BootSequence(
    EventBus bus,
    BootState state,
    IPluginRuntime plugins,
    HostSettings settings,
    ILogger<BootSequence> logger) : BackgroundService
{
    public static readonly (string Step, string Topic, string Label)[] Steps =
    [
        ("vault", CoreTopics.VaultOpened, "secret store"),
        ("database", CoreTopics.DbConnected, "database"),
        ("iam", CoreTopics.IamReady, "identity and access"),
    ];

    public Task Completion => ExecuteTask ?? Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var (step, topic, _) in Steps)
        {
            state.Define(step, topic);
        }

        state.Define("plugins", CoreTopics.SystemBootComplete);
        Phase(BootPhase.WaitingCore, null);
        bus.Emit(CoreTopics.SystemStarted);

        try
        {
            foreach (var (step, topic, label) in Steps)
            {
                await WaitForStepAsync(step, topic, label, stoppingToken).ConfigureAwait(false);
            }

            Phase(BootPhase.LoadingModules, null);
            state.Update("plugins", "running");
            logger.LogInformation("Boot: loading plugins from {PluginsDir}", settings.PluginsDir);
            var summary = await plugins.StartAllAsync(stoppingToken).ConfigureAwait(false);
            state.Update("plugins", "done");
            Phase(BootPhase.Ready, null);
            bus.Emit(CoreTopics.SystemBootComplete, EventPayload.Create(
                ("status", "success"), ("plugins_active", summary.Active), ("plugins_failed", summary.Failed),
                ("plugins_blocked", summary.Blocked)));
            logger.LogInformation("Boot complete: {Active} plugin(s) active, {Failed} failed, {Blocked} blocked, {Disabled} disabled",
                summary.Active, summary.Failed, summary.Blocked, summary.Disabled);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Boot failed: {Message}", ex.Message);
            Phase(BootPhase.Failed, ex.Message);
            bus.Emit(CoreTopics.SystemMaintenanceMode, EventPayload.Create(("service", "boot"), ("active", true), ("reason", "boot_failed")));
        }
    }

    private async Task WaitForStepAsync(string step, string topic, string label, CancellationToken stoppingToken)
    {
        state.Update(step, "waiting");
        logger.LogInformation("Boot: waiting for the {Label} ({Topic})", label, topic);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(settings.BootStepTimeout);
        try
        {
            await bus.WaitForAsync(topic, timeout.Token).ConfigureAwait(false);
            state.Update(step, "done");
            return;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }

        var detail = state.Step(step).Detail;
        var error = $"Boot is waiting on the {label}: no {topic} after {settings.BootStepTimeout.TotalSeconds:0.#}s." +
                    (detail is null ? "" : " " + detail);
        logger.LogError("{Error} The host keeps running and resumes the boot as soon as {Topic} arrives.", error, topic);
        state.Update(step, BootState.TimedOut, error);
        Phase(BootPhase.Failed, error);
        bus.Emit(CoreTopics.SystemMaintenanceMode, EventPayload.Create(("service", "boot"), ("active", true), ("reason", "boot_timeout"), ("step", step)));

        await bus.WaitForAsync(topic, stoppingToken).ConfigureAwait(false);
        logger.LogInformation("Boot: {Topic} arrived late; resuming", topic);
        state.Update(step, "done");
        bus.Emit(CoreTopics.SystemMaintenanceMode, EventPayload.Create(("service", "boot"), ("active", false)));
        Phase(BootPhase.WaitingCore, null);
    }

    private void Phase(string phase, string? error)
    {
        state.SetPhase(phase, error);
        bus.Emit(CoreTopics.SystemBootPhase, EventPayload.Create(("phase", phase), ("error", error), ("is_booting", state.IsBooting)));
    }
}
