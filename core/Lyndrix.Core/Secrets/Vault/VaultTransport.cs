using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>
/// Sends Vault calls: always <c>X-Vault-Request: true</c>, the token as <c>X-Vault-Token</c>, <c>X-Vault-Namespace</c> only when
/// configured. Follows one redirect (301/302/307/308) itself, re-sending method, body and token, and refuses an https → http
/// downgrade (.NET's own redirect handling would drop the token, reference §5). Retries with backoff: connection failures,
/// 412, 429 (honouring <c>Retry-After</c>), 502, 503 (unless sealed), 504 and the 500 of a cluster still electing its leader,
/// for calls that are safe to repeat
/// (<see cref="VaultRetryKind"/>); never 4xx refusals. Connection-level failures become <see cref="SecretBackendUnreachableException"/>.
/// Each attempt is bounded by <c>VAULT_TIMEOUT</c> through the <see cref="HttpClient.Timeout"/> of the client it is given (one
/// timer per request, where a timeout of its own would add a second), so that client must carry exactly that timeout.
/// </summary>
internal sealed class VaultTransport(HttpClient http, VaultSettings settings, VaultSecretRedactor redactor, TimeProvider time, ILogger logger)
{
    private const int MaxCachedRequestUris = 512;

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _http = http.Timeout == settings.Timeout
        ? http
        : throw new ArgumentException($"The HttpClient's Timeout must be VAULT_TIMEOUT ({settings.Timeout}): it bounds each attempt.", nameof(http));

    private readonly ConcurrentDictionary<string, Uri> _requestUris = new(StringComparer.Ordinal);

    public Uri BaseAddress { get; } = settings.Url ?? throw new ArgumentException("VAULT_URL is not set.", nameof(settings));

    public VaultSecretRedactor Redactor => redactor;

    public async Task<VaultResponse> SendAsync(VaultCall call, string? token, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            VaultResponse response;
            try
            {
                var uri = RequestUri(call.Path);
                response = await SendOnceAsync(uri, call, token, cancellationToken);
                if (response.IsRedirect && response.Location is { } location)
                {
                    response = await FollowRedirectAsync(uri, response, location, call, token, cancellationToken);
                }
            }
            catch (VaultConnectionFailure failure)
            {
                if (attempt <= settings.MaxRetries && failure.Transient && (failure.RequestNeverSent || call.Retry != VaultRetryKind.UnsafeWrite))
                {
                    var wait = Backoff(attempt);
                    logger.LogWarning("Vault {Call} failed ({Reason}); retrying in {Wait} ms (attempt {Attempt} of {Max}).",
                        call.Describe(), failure.Reason, (long)wait.TotalMilliseconds, attempt + 1, settings.MaxRetries + 1);
                    await Task.Delay(wait, cancellationToken);
                    continue;
                }

                var retried = attempt > 1 ? $" after {attempt} attempts" : "";
                throw new SecretBackendUnreachableException($"Vault at {BaseAddress} could not be reached for {call.Describe()}{retried}: {failure.Reason}. {failure.Advice}",
                    failure.InnerException);
            }

            response.Attempts = attempt;
            if (attempt <= settings.MaxRetries && IsRetryable(call, response))
            {
                var wait = response.RetryAfter is { } after ? Min(after, settings.MaxRetryWait) : Backoff(attempt);
                logger.LogWarning("Vault answered {Status} to {Call}; retrying in {Wait} ms (attempt {Attempt} of {Max}).",
                    response.StatusCode, call.Describe(), (long)wait.TotalMilliseconds, attempt + 1, settings.MaxRetries + 1);
                response.Dispose();
                await Task.Delay(wait, cancellationToken);
                continue;
            }

            if (logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("Vault {Call} answered {Status}.", call.Describe(), response.StatusCode);
            }

            return response;
        }
    }

    private static bool IsRetryable(VaultCall call, VaultResponse response) =>
        !call.AcceptAnyStatus
        && call.Retry != VaultRetryKind.UnsafeWrite
        && (response.StatusCode is 412 or 429 or 502 or 503 or 504 || response.IsLeaderless)
        && !response.IsSealed;

    private TimeSpan Backoff(int attempt)
    {
        var baseWait = settings.RetryWait.TotalMilliseconds * Math.Pow(2, attempt - 1);
        var jittered = baseWait * (0.75 + (Random.Shared.NextDouble() * 0.5));
        return Min(TimeSpan.FromMilliseconds(jittered), settings.MaxRetryWait);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    // Building a Uri costs about as much as the rest of the request set-up; the same few paths (module secrets, token
    // renewal) are asked for again and again. Bounded, so unusual paths (versions, list prefixes) cannot grow it without end.
    private Uri RequestUri(string path)
    {
        if (_requestUris.TryGetValue(path, out var cached))
        {
            return cached;
        }

        var uri = new Uri(BaseAddress, "v1/" + path);
        if (_requestUris.Count < MaxCachedRequestUris)
        {
            _requestUris.TryAdd(path, uri);
        }

        return uri;
    }

    // Off the common path, which is why the loop above checks for a redirect before calling this.
    private async Task<VaultResponse> FollowRedirectAsync(Uri uri, VaultResponse response, Uri location, VaultCall call, string? token,
        CancellationToken cancellationToken)
    {
        var target = new Uri(uri, location);
        response.Dispose();
        if (uri.Scheme == Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttps)
        {
            throw new SecretBackendUnreachableException(
                $"Vault at {BaseAddress} redirected {call.Describe()} to {target.GetLeftPart(UriPartial.Authority)} over plain http. Lyndrix refuses to " +
                "downgrade from https because the token would travel unencrypted. Point VAULT_URL at the active node, or fix the api_addr of the " +
                "node that redirects so it advertises https.");
        }

        logger.LogDebug("Vault redirected {Call} with {Status} to {Target}; following once.", call.Describe(), response.StatusCode,
            target.GetLeftPart(UriPartial.Authority));
        var redirected = await SendOnceAsync(target, call, token, cancellationToken);
        if (redirected.IsRedirect)
        {
            throw new SecretBackendUnreachableException(
                $"Vault at {BaseAddress} redirected {call.Describe()} twice (to {target.GetLeftPart(UriPartial.Authority)}, then again). Lyndrix follows " +
                "one redirect only; point VAULT_URL at the active node.");
        }

        return redirected;
    }

    private async Task<VaultResponse> SendOnceAsync(Uri uri, VaultCall call, string? token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(call.Method, uri);
        request.Headers.TryAddWithoutValidation("X-Vault-Request", "true");
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Vault-Token", token);
        }

        if (settings.Namespace is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Vault-Namespace", settings.Namespace);
        }

        if (call.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(call.Body.ToJsonString()));
            request.Content.Headers.ContentType = call.ContentType is null ? Json : MediaTypeHeaderValue.Parse(call.ContentType);
        }

        try
        {
            // The client's timeout covers the whole answer: the body is read into its buffer before SendAsync returns.
            using var message = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var body = await message.Content.ReadAsByteArrayAsync(cancellationToken);
            return VaultResponse.From(message, body, redactor, time.GetUtcNow());
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VaultConnectionFailure(
                string.Create(CultureInfo.InvariantCulture, $"no answer within {settings.Timeout.TotalSeconds:0.###} s"),
                "Check that Vault is running and reachable; raise VAULT_TIMEOUT if it is merely slow.", requestNeverSent: false, e);
        }
        catch (HttpRequestException e)
        {
            throw Classify(e);
        }
    }

    private VaultConnectionFailure Classify(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => new VaultConnectionFailure($"the host name {BaseAddress.Host} does not resolve",
            "Check VAULT_URL and DNS.", requestNeverSent: true, e),
        HttpRequestError.ConnectionError => new VaultConnectionFailure("the connection was refused or could not be established",
            "Check VAULT_URL and that Vault is running and listening there.", requestNeverSent: true, e),
        HttpRequestError.SecureConnectionError => new VaultConnectionFailure($"the TLS handshake failed ({redactor.Scrub(e.InnerException?.Message ?? e.Message)})",
            "If Vault's certificate comes from a private CA, set VAULT_CACERT to that CA's certificate (PEM); check that the certificate names the host in VAULT_URL.",
            requestNeverSent: true, e, transient: false),
        _ => new VaultConnectionFailure($"the connection broke before Vault answered ({redactor.Scrub(e.Message)})",
            "Check the network path to Vault (proxies, load balancers) and Vault's own logs.", requestNeverSent: false, e),
    };
}
