using Lyndrix.Sdk.Auth;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Runs a password login through the active providers in order; the first success wins. A provider that throws or
/// times out is logged (with the password scrubbed from anything it said) and the next one is tried. Providers that are
/// not listed, not registered, not configured, or sign in by redirect only are skipped. <c>local</c> is tried as a last
/// resort only when the operator enabled LYNDRIX_AUTH_LOCAL_FALLBACK.
/// </summary>
internal sealed class AuthProviderChain(
    IAuthProviderRegistry registry,
    AuthChainConfiguration configuration,
    AuthSettings settings,
    ILogger<AuthProviderChain> logger)
{
    public const string LocalId = "local";

    /// <summary>The provider ids a login tries now, in order, with the reason each listed id is skipped.</summary>
    public IReadOnlyList<AuthProviderStatus> Describe()
    {
        var snapshot = configuration.Current;
        var result = new List<AuthProviderStatus>();
        var position = 0;
        foreach (var id in snapshot.Providers)
        {
            result.Add(Status(id, ++position, listed: true));
        }

        if (snapshot.LocalFallback && !snapshot.Providers.Contains(LocalId))
        {
            result.Add(Status(LocalId, ++position, listed: false) with { Fallback = true });
        }

        foreach (var (id, _) in registry.All.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (result.All(s => s.Id != id))
            {
                result.Add(Status(id, 0, listed: false) with { State = AuthProviderStatus.NotListed });
            }
        }

        return result;
    }

    public async Task<AuthChainResult> AuthenticateAsync(string username, string password, CancellationToken cancellationToken)
    {
        var tried = new List<string>();
        var failed = new List<string>();
        var snapshot = configuration.Current;
        IEnumerable<string> order = snapshot.Providers;
        if (snapshot.LocalFallback && !snapshot.Providers.Contains(LocalId))
        {
            order = order.Append(LocalId);
        }

        foreach (var id in order)
        {
            if (!registry.TryGet(id, out var provider, out _) || provider is ISsoAuthProvider || !IsConfigured(provider))
            {
                continue;
            }

            tried.Add(id);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.ProviderTimeout);
            try
            {
                var identity = await provider.AuthenticateAsync(username, password, timeout.Token)
                    .WaitAsync(timeout.Token).ConfigureAwait(false);
                if (identity is not null)
                {
                    // A provider vouches only for itself: the id it reports is replaced by the id it is registered under.
                    return new AuthChainResult(identity with { Provider = id }, tried, failed);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failed.Add(id);
                logger.LogWarning("Auth provider '{Provider}' did not answer within {Timeout}s for user '{User}'; trying the next provider",
                    id, settings.ProviderTimeout.TotalSeconds, UserNames.ForLog(username));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed.Add(id);
                logger.LogWarning("Auth provider '{Provider}' failed for user '{User}' ({Error}); trying the next provider",
                    id, UserNames.ForLog(username), SecretScrubber.Describe(ex, password));
            }
        }

        return new AuthChainResult(null, tried, failed);
    }

    private AuthProviderStatus Status(string id, int position, bool listed)
    {
        if (!registry.TryGet(id, out var provider, out var owner))
        {
            return new AuthProviderStatus(id, id, position, listed, AuthProviderStatus.NotRegistered, null, false);
        }

        var state = IsConfigured(provider) ? AuthProviderStatus.Active : AuthProviderStatus.NotConfigured;
        return new AuthProviderStatus(id, provider.DisplayName, position, listed, state, owner, provider is ISsoAuthProvider);
    }

    private bool IsConfigured(IAuthProvider provider)
    {
        try
        {
            return provider.IsConfigured;
        }
        catch (Exception ex)
        {
            logger.LogWarning("Auth provider '{Provider}' could not say whether it is configured ({Error}); skipping it",
                provider.ProviderId, ex.GetType().Name);
            return false;
        }
    }
}
