using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Plugins.Oidc;

/// <summary>The first-party OpenID Connect module (<c>lyndrix.core.oidc</c>): registers the <c>oidc</c> single sign-on provider.
/// It takes part only when <c>oidc</c> is listed in LYNDRIX_AUTH_PROVIDERS.</summary>
public sealed class OidcModule : ILyndrixModule
{
    private readonly TimeProvider _time;
    private readonly HttpMessageHandler? _handler;
    private HttpClient? _http;

    /// <summary>Creates the module as the host does.</summary>
    public OidcModule()
        : this(TimeProvider.System, null)
    {
    }

    internal OidcModule(TimeProvider time, HttpMessageHandler? handler)
    {
        _time = time;
        _handler = handler;
    }

    internal OidcAuthProvider? Provider { get; private set; }

    /// <inheritdoc />
    public async Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var values = new Dictionary<string, string?>(context.Settings, StringComparer.Ordinal);
        if (string.IsNullOrEmpty(values.GetValueOrDefault("client_secret")) && !string.IsNullOrEmpty(values.GetValueOrDefault("issuer")))
        {
            try
            {
                values["client_secret"] = await context.GetSecretAsync("client_secret", cancellationToken).ConfigureAwait(false);
            }
            catch (SecretStoreUnavailableException ex)
            {
                context.Logger.LogWarning("OIDC: the client secret could not be read from the secret store ({Reason}); signing in as a public client", ex.Message);
            }
        }

        var settings = OidcSettings.Parse(values);
        foreach (var problem in settings.Problems)
        {
            context.Logger.LogError("OIDC is not usable: {Problem}", problem);
        }

        if (settings.Problems.Count == 0 && settings.Missing.Count is > 0 and < 3)
        {
            context.Logger.LogWarning("OIDC is not configured: set {Missing}", string.Join(", ", settings.Missing));
        }

        _http = _handler is null ? new HttpClient() : new HttpClient(_handler, disposeHandler: false);
        _http.Timeout = settings.Timeout;
        Provider = new OidcAuthProvider(settings, _http, context.Logger, _time);
        context.RegisterAuthProvider(Provider);
    }

    /// <inheritdoc />
    public Task TeardownAsync(CancellationToken cancellationToken)
    {
        _http?.Dispose();
        return Task.CompletedTask;
    }
}
