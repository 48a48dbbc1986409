using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Lyndrix.Plugins.Oidc;

/// <summary>
/// The provider's discovery document and signing keys through Microsoft.IdentityModel's <see cref="ConfigurationManager{T}"/>,
/// which fetches, parses and caches them and fetches them again twelve hours later (with jitter). When a token names a key id
/// the cached set lacks, <see cref="RefreshAsync"/> fetches at once through a fresh manager — the library's own
/// <c>RequestRefresh</c> refetches on a background thread unless a process-wide switch is set, so the token that revealed the
/// new key would be refused — at most once per <see cref="KeyRefreshInterval"/>, so tokens with made-up key ids cannot make
/// us hammer the provider. Every document is checked here before use: its issuer must be the configured one (Discovery §4.3)
/// and its endpoints https (plain http only on loopback).
/// </summary>
internal sealed class OidcDiscovery(HttpClient http, OidcSettings settings, TimeProvider time)
{
    /// <summary>The shortest time between two refetches caused by unknown key ids.</summary>
    public static readonly TimeSpan KeyRefreshInterval = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _refetchGate = new(1, 1);
    private ConfigurationManager<OpenIdConnectConfiguration>? _manager;
    private DateTimeOffset _lastRefetch = DateTimeOffset.MinValue;

    public string MetadataAddress { get; } = settings.Issuer!.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration";

    /// <summary>The cached (or first fetched) configuration.</summary>
    public async Task<OpenIdConnectConfiguration> GetAsync(CancellationToken cancellationToken)
    {
        var manager = Volatile.Read(ref _manager);
        if (manager is null)
        {
            Interlocked.CompareExchange(ref _manager, NewManager(), null);
            manager = Volatile.Read(ref _manager)!;
        }

        return Checked(await FetchAsync(manager, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The document and keys fetched again, unless another sign-in has done so since <paramref name="stale"/> was read. A
    /// refetch within <see cref="KeyRefreshInterval"/> of the last one waits out the rest of the interval, so a key published
    /// just after a refetch is still found while fetches stay at one per interval.
    /// </summary>
    public async Task<OpenIdConnectConfiguration> RefreshAsync(OpenIdConnectConfiguration stale, CancellationToken cancellationToken)
    {
        await _refetchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await GetAsync(cancellationToken).ConfigureAwait(false);
            if (!ReferenceEquals(current, stale))
            {
                return current;
            }

            var wait = _lastRefetch + KeyRefreshInterval - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }

            var fresh = NewManager();
            current = Checked(await FetchAsync(fresh, cancellationToken).ConfigureAwait(false));
            _lastRefetch = time.GetUtcNow();
            Volatile.Write(ref _manager, fresh);
            return current;
        }
        finally
        {
            _refetchGate.Release();
        }
    }

    private ConfigurationManager<OpenIdConnectConfiguration> NewManager() =>
        new(MetadataAddress, new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(http) { RequireHttps = settings.Issuer!.Scheme == Uri.UriSchemeHttps });

    private async Task<OpenIdConnectConfiguration> FetchAsync(ConfigurationManager<OpenIdConnectConfiguration> manager, CancellationToken cancellationToken)
    {
        try
        {
            return await manager.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            var cause = ex.InnerException ?? ex;
            throw new InvalidOperationException(
                $"The OIDC provider's discovery document or keys could not be fetched from {MetadataAddress} ({cause.GetType().Name}: {cause.Message}). " +
                "Check LYNDRIX_OIDC_ISSUER and that the provider is reachable.", ex);
        }
    }

    private OpenIdConnectConfiguration Checked(OpenIdConnectConfiguration configuration)
    {
        if (configuration.Issuer?.TrimEnd('/') != settings.Issuer!.AbsoluteUri.TrimEnd('/'))
        {
            throw new InvalidOperationException(
                $"The OIDC discovery document names issuer '{configuration.Issuer}', not the configured LYNDRIX_OIDC_ISSUER '{settings.Issuer}'. " +
                "Set LYNDRIX_OIDC_ISSUER to the exact issuer.");
        }

        Endpoint(configuration.AuthorizationEndpoint, "authorization_endpoint");
        Endpoint(configuration.TokenEndpoint, "token_endpoint");
        if (!string.IsNullOrEmpty(configuration.UserInfoEndpoint))
        {
            Endpoint(configuration.UserInfoEndpoint, "userinfo_endpoint");
        }

        return configuration;
    }
    /// <summary>An endpoint the document announces, as an https URL (plain http only on loopback).</summary>
    public Uri Endpoint(string? raw, string name)
    {
        if (string.IsNullOrEmpty(raw))
        {
            throw new InvalidOperationException($"The OIDC discovery document at {MetadataAddress} has no '{name}'.");
        }

        return Uri.TryCreate(raw, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
            ? uri
            : throw new InvalidOperationException($"The OIDC provider announced the {name} '{raw}', which is not an https URL.");
    }
}
