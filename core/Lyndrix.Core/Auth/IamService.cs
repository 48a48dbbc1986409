using Lyndrix.Core.Boot;
using Lyndrix.Core.Data;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Starts identity and access management on <c>db:connected</c>: decides the provider chain, registers the <c>local</c>
/// provider, bootstraps the admin and bot accounts, then emits <c>iam:ready</c>. It runs once per process: a reconnect
/// that fires <c>db:connected</c> again changes nothing (the original re-ran everything and reverted passwords). A failed
/// start is retried with growing delays and reported on <c>GET /api/boot</c>. After <c>system:boot_complete</c>, when every
/// plugin had its chance to register a provider, ids listed in LYNDRIX_AUTH_PROVIDERS that nobody registered are reported.
/// </summary>
internal sealed class IamService(
    EventBus bus,
    IServiceProvider services,
    AuthSettings settings,
    AuthChainConfiguration chain,
    IAuthProviderRegistry registry,
    PasswordHasher hasher,
    IamState state,
    BootState boot,
    IamRetryDelays retry,
    TimeProvider time,
    ILogger<IamService> logger) : IHostedService
{
    /// <summary>The manifest of the auth area itself, whose secrets live at <c>core/auth</c>.</summary>
    public static readonly ModuleManifest Manifest = new()
    {
        Id = AuthSettings.ModuleId,
        Name = "Identity and access",
        Version = LyndrixApi.Version.ToString(),
        Type = ModuleType.Core,
    };

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<IDisposable> _subscriptions = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscriptions.Add(bus.Subscribe(CoreTopics.DbConnected, EventBus.CoreOwner, (LyndrixEvent _, CancellationToken ct) => OnDatabaseConnectedAsync(ct)));
        _subscriptions.Add(bus.Subscribe(CoreTopics.SystemBootComplete, EventBus.CoreOwner, (LyndrixEvent _) => ReportChain()));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }

        _subscriptions.Clear();
        return Task.CompletedTask;
    }

    internal async Task OnDatabaseConnectedAsync(CancellationToken cancellationToken)
    {
        if (state.IsReady)
        {
            logger.LogDebug("db:connected again: IAM is already initialized, nothing to do");
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; !state.IsReady; attempt++)
            {
                try
                {
                    await InitializeAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    var delay = retry.Delays[Math.Min(attempt, retry.Delays.Count - 1)];
                    var detail = $"IAM could not start: {ex.Message} Retrying in {delay.TotalSeconds:0.#}s.";
                    boot.Report("iam", detail);
                    logger.LogError("{Detail}", detail);
                    await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        boot.Report("iam", "deciding the provider chain and bootstrapping accounts");
        if (!settings.ProvidersFromEnvironment)
        {
            await LoadProvidersFromSecretStoreAsync(cancellationToken).ConfigureAwait(false);
        }

        registry.Register(EventBus.CoreOwner, services.GetRequiredService<LocalAuthProvider>());
        await services.GetRequiredService<AccountBootstrapper>().RunAsync(cancellationToken).ConfigureAwait(false);
        hasher.Warm();

        var snapshot = chain.Current;
        state.MarkReady();
        logger.LogInformation("IAM ready: login providers {Providers} (from {Source}){Fallback}",
            string.Join(" -> ", snapshot.Providers), snapshot.Source, snapshot.LocalFallback ? ", local fallback enabled" : "");
        bus.Emit(CoreTopics.IamReady, EventPayload.Create(("providers", string.Join(",", snapshot.Providers))));
    }

    private async Task LoadProvidersFromSecretStoreAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<IModuleSecretScopeFactory>() is not { } factory)
        {
            return;
        }

        var raw = await factory.For(Manifest).GetAsync("auth_providers", cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return;
        }

        var providers = AuthProviderList.Parse(raw, out var problems);
        if (problems.Count > 0 || providers.Count == 0)
        {
            logger.LogError("The secret store value core/{Module} field auth_providers is invalid ({Problems}); using '{Providers}' instead. " +
                            "Fix the stored value or set LYNDRIX_AUTH_PROVIDERS", AuthSettings.ModuleId, string.Join("; ", problems),
                string.Join(",", chain.Current.Providers));
            return;
        }

        chain.Set(providers, $"secret store core/{AuthSettings.ModuleId}");
    }

    private void ReportChain()
    {
        var statuses = services.GetRequiredService<AuthProviderChain>().Describe();
        foreach (var s in statuses.Where(s => s.Listed && s.State == AuthProviderStatus.NotRegistered))
        {
            logger.LogWarning("LYNDRIX_AUTH_PROVIDERS lists '{Provider}', but no module registered a provider with that id, so logins skip it. " +
                              "Check the spelling, or install and enable the plugin that provides it", s.Id);
        }

        foreach (var s in statuses.Where(s => s.Position > 0 && s.State == AuthProviderStatus.NotConfigured))
        {
            logger.LogWarning("Auth provider '{Provider}' is listed but not configured, so logins skip it; set its LYNDRIX_* settings", s.Id);
        }

        foreach (var s in statuses.Where(s => s.State == AuthProviderStatus.NotListed))
        {
            logger.LogInformation("Auth provider '{Provider}' (from {Owner}) is registered but not listed in LYNDRIX_AUTH_PROVIDERS, so it is inactive",
                s.Id, s.Owner);
        }

        if (!statuses.Any(s => s.Position > 0 && s.State == AuthProviderStatus.Active))
        {
            logger.LogError("No login provider is active: nobody can sign in. Set LYNDRIX_AUTH_PROVIDERS to providers that are registered and configured " +
                            "(e.g. 'local')");
        }
    }
}
