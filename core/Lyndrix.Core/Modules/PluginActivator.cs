using System.Reflection;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Modules.Trust;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules;

/// <summary>
/// What happens to one plugin's code: verify its folder, load it (or start its child process), resolve its settings, make its
/// context, run setup and teardown under their timeouts, remove what it registered, and release its code and check that the
/// load context was collected. It decides no states: <see cref="PluginRuntime"/> turns its outcomes into states and events.
/// </summary>
internal sealed class PluginActivator(
    PluginRuntimeSettings settings,
    EventBus bus,
    TaskTracker tasks,
    ModuleContextFactory contexts,
    IAuthProviderRegistry providers,
    IConfigSource config,
    IReadOnlyList<IModuleSettingsOverlay> overlays,
    SharedAssemblyPolicy policy,
    PluginTrustVerifier trust,
    IsolationSettings? isolation,
    PluginProcessSpares? spares,
    ILoggerFactory loggers,
    ILogger logger)
{
    /// <summary>Verifies, loads, creates and sets up the plugin; on success <see cref="PluginEntry.Module"/> is set.</summary>
    /// <returns>Null when the plugin is set up, else why it failed (what it registered is removed again by the caller's
    /// <see cref="CleanupAsync"/>). Never throws for the plugin's faults; a cancelled host start throws after cleanup.</returns>
    public async Task<string?> ActivateAsync(PluginEntry entry, Action<string> onChildExited, CancellationToken cancellationToken)
    {
        var manifest = entry.RequireManifest();

        // Before any code loads (and again on every enable, reload and rescan): a replaced file is caught here.
        var verdict = await trust.VerifyAsync(entry.Descriptor, cancellationToken).ConfigureAwait(false);
        entry.Trust = verdict.Trust;
        if (!verdict.Allowed)
        {
            logger.LogWarning("PLUGIN_UNTRUSTED {Id}: {Reason}", entry.Id, verdict.Reason);
            bus.Emit(Security.SecurityTopics.PluginRefused, EventPayload.Create(("plugin_id", entry.Id), ("reason", verdict.Reason)));
            return "Refused before loading: " + verdict.Reason;
        }

        ILyndrixModule module;
        try
        {
            if (isolation?.ModeFor(entry.Descriptor) == IsolationSettings.Process)
            {
                // The same binary in a sandboxed child process: no plugin code loads into the host.
                var isolated = IsolatedModule.Create(entry.Descriptor, isolation, spares, loggers.CreateLogger(entry.Id), onChildExited);
                entry.Isolated = isolated;
                module = isolated;
            }
            else
            {
                entry.Code ??= PluginCodeLoader.Load(entry.Descriptor, policy);
                module = entry.Code.CreateModule();
            }
        }
        catch (PluginLoadException ex)
        {
            return ex.Message;
        }
        catch (TargetInvocationException ex)
        {
            return $"The constructor of {entry.Code?.ModuleTypeName} threw {ex.InnerException?.GetType().Name}: {ex.InnerException?.Message}";
        }

        var settingProblems = new List<string>();
        var moduleSettings = ModuleSettings.Resolve(manifest, config, settingProblems);
        foreach (var overlay in overlays)
        {
            // Host-side values for first-party modules (IAM hands LDAP/OIDC their LYNDRIX_LDAP_*/LYNDRIX_OIDC_* settings).
            moduleSettings = overlay.Apply(manifest, moduleSettings);
        }

        foreach (var problem in settingProblems)
        {
            logger.LogWarning("Plugin {Id} setting: {Problem}", entry.Id, problem);
        }

        var context = contexts.Create(manifest, moduleSettings);
        entry.Context = context;
        using var setupCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.Stopping);
        var setup = Task.Run(() => module.SetupAsync(context, setupCancellation.Token), CancellationToken.None);
        try
        {
            await setup.WaitAsync(settings.SetupTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await setupCancellation.CancelAsync().ConfigureAwait(false);
            entry.StraySetup = setup;
            _ = setup.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return $"Setup did not finish within {settings.SetupTimeout.TotalSeconds:0.###}s (LYNDRIX_PLUGIN_SETUP_TIMEOUT); the plugin was stopped and the host went on. " +
                   "Setup must not block: start long-running work with CreateTask.";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await CleanupAsync(entry).ConfigureAwait(false);
            throw;
        }
        catch (PluginLoadException ex)
        {
            // An isolated plugin's process could not be started: the host's words, not the plugin's fault.
            return ex.Message;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Plugin {Id} setup threw", entry.Id);
            return $"Setup threw {ex.GetType().Name}: {ex.Message}";
        }

        entry.Module = module;
        entry.StraySetup = null;
        return null;
    }

    /// <summary>Runs the module's teardown under <c>LYNDRIX_PLUGIN_TEARDOWN_TIMEOUT</c>; a teardown that throws or hangs is
    /// logged and abandoned.</summary>
    public async Task TeardownAsync(PluginEntry entry)
    {
        if (entry.Module is { } module)
        {
            using var timeout = new CancellationTokenSource(settings.TeardownTimeout);
            try
            {
                await Task.Run(() => module.TeardownAsync(timeout.Token), CancellationToken.None).WaitAsync(settings.TeardownTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                logger.LogWarning("Plugin {Id} teardown ran longer than {Timeout}s (LYNDRIX_PLUGIN_TEARDOWN_TIMEOUT); abandoned, cleanup goes on",
                    entry.Id, settings.TeardownTimeout.TotalSeconds);
            }
            catch (Exception ex)
            {
                logger.LogWarning("Plugin {Id} teardown threw {Type}: {Message}; cleanup goes on", entry.Id, ex.GetType().Name, ex.Message);
            }
        }
    }

    /// <summary>Removes what the module registered through its context: subscriptions, tasks, auth providers.</summary>
    public async Task CleanupAsync(PluginEntry entry)
    {
        entry.Context?.Close();
        var subscriptions = bus.RemoveOwner(entry.Id);
        var stragglers = await tasks.CancelOwnerAsync(entry.Id, settings.TeardownTimeout).ConfigureAwait(false);
        var removedProviders = providers.RemoveOwner(entry.Id);
        entry.Context = null;
        entry.Module = null;
        if (entry.Isolated is { } isolated)
        {
            entry.Isolated = null;
            await isolated.DisposeAsync().ConfigureAwait(false);
        }

        if (subscriptions + removedProviders + stragglers.Count > 0)
        {
            logger.LogInformation("Plugin {Id}: removed {Subscriptions} subscription(s) and {Providers} auth provider(s); {Stragglers} task(s) ignored cancellation",
                entry.Id, subscriptions, removedProviders, stragglers.Count);
        }
    }

    /// <summary>Disposes the plugin's loader and waits for its load context to be collected.</summary>
    public async Task<(bool Unloaded, string Detail)> ReleaseCodeAsync(PluginEntry entry, CancellationToken cancellationToken)
    {
        var code = entry.Code;
        if (code is null)
        {
            return (true, isolation?.ModeFor(entry.Descriptor) == IsolationSettings.Process
                ? "The plugin runs in its own process, which has ended; none of its code was loaded into the host."
                : "No code was loaded.");
        }

        entry.Code = null;
        var contextId = code.ContextId;
        var context = code.Unload();
        logger.LogDebug("Plugin {Id}: framework type caches cleared ({Handlers})", entry.Id, string.Join(", ", ClearFrameworkCaches(context)));
        var (collected, passes) = await LoadContextCollector.WaitAsync(context, settings.UnloadTimeout, cancellationToken).ConfigureAwait(false);
        if (collected)
        {
            logger.LogInformation("Plugin {Id}: load context collected after {Passes} GC pass(es)", entry.Id, passes);
            return (true, $"The load context was collected after {passes} garbage collection pass(es).");
        }

        var roots = new List<string>();
        if (entry.StraySetup is { IsCompleted: false })
        {
            roots.Add("its timed-out setup is still running");
        }

        if (bus.CountFor(entry.Id) > 0)
        {
            roots.Add("it still has event subscriptions");
        }

        entry.Hold(context);

        var held = settings.ExplainCommand is { } command && contextId >= 0
            ? await new HeldContextExplainer(command).ExplainAsync(contextId, cancellationToken).ConfigureAwait(false)
            : ["a thread, timer or static field outside the context may hold one of its types (LYNDRIX_PLUGIN_UNLOAD_EXPLAIN=true names it)"];
        var detail = $"The load context was still alive after {settings.UnloadTimeout.TotalSeconds:0.###}s ({passes} GC passes; LYNDRIX_PLUGIN_UNLOAD_TIMEOUT): " +
                     $"something still references the plugin's code. {(roots.Count > 0 ? $"Likely: {string.Join("; ", roots)}. " : "")}" +
                     $"Held by: {string.Join(" | ", held)}. The memory is freed once that reference goes; a host restart frees it for sure.";
        logger.LogWarning("Plugin {Id} did not unload: {Detail}", entry.Id, detail);
        return (false, detail);
    }

    // Not inlined: the strong reference to the context must not outlive this call (the collection check waits for it to go).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static IReadOnlyList<string> ClearFrameworkCaches(WeakReference context) =>
        FrameworkCaches.Clear(context.Target as System.Runtime.Loader.AssemblyLoadContext);
}
