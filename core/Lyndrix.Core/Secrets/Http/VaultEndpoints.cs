using Lyndrix.Core.Audit;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Hosting.Http;
using System.Globalization;
using System.Text.Json;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Lifecycle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lyndrix.Core.Secrets.Http;

/// <summary>
/// <c>GET /api/vault/status</c>, <c>POST /api/vault/init {key}</c>, <c>POST /api/vault/unseal {key}</c>. Init and unseal are
/// rate-limited per client and asynchronous: 202 means "queued", and clients poll the status (its <c>last_failure</c> says
/// how a failed attempt ended). No response ever contains the key.
/// </summary>
internal static class VaultEndpoints
{
    public static IEndpointRouteBuilder MapVaultEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/vault/status", StatusAsync);
        app.MapPost("/api/vault/init", (HttpContext http, SecretLifecycle lifecycle, AttemptRateLimiter limiter, VaultKeyFile keyFile, FilesystemPathRedactor paths,
            SetupToken setup) => RequestAsync(http, lifecycle, limiter, keyFile, paths, setup, init: true)).RequireLyndrixAdminOnceIamReady().Audited(_ => "vault.init");
        app.MapPost("/api/vault/unseal", (HttpContext http, SecretLifecycle lifecycle, AttemptRateLimiter limiter, VaultKeyFile keyFile, FilesystemPathRedactor paths,
            SetupToken setup) => RequestAsync(http, lifecycle, limiter, keyFile, paths, setup, init: false)).RequireLyndrixAdminOnceIamReady().Audited(_ => "vault.unseal");
        return app;
    }

    // Anonymous: failure messages are shown without filesystem paths (the log has them).
    // setup_token_required and key_policy let a client (the console) ask for the token and check a key as it is typed.
    private static async Task<IResult> StatusAsync(SecretLifecycle lifecycle, FilesystemPathRedactor paths, SetupToken setup, CancellationToken cancellationToken)
    {
        var snapshot = lifecycle.Snapshot;
        var failure = snapshot.LastFailure is { } f
            ? new { topic = f.Topic, reason = f.Reason, message = paths.Redact(f.Message), sequence = f.Sequence, at = f.At }
            : null;
        try
        {
            var status = await lifecycle.ProbeAsync(cancellationToken).ConfigureAwait(false);
            return Results.Json(new
            {
                status = "ok",
                backend = lifecycle.BackendKind,
                initialized = status.Initialized,
                @sealed = status.Sealed,
                connected = snapshot.Connected,
                ui_state = snapshot.UiState,
                maintenance = snapshot.MaintenanceReason,
                last_failure = failure,
                setup_token_required = setup.IsRequired,
                key_policy = MasterKeyPolicy.Description,
            });
        }
        catch (Exception ex) when (ex is SecretBackendUnreachableException or Embedded.SecretStoreIntegrityException)
        {
            return Results.Json(new
            {
                status = "error",
                backend = lifecycle.BackendKind,
                initialized = (bool?)null,
                @sealed = true,
                connected = false,
                ui_state = snapshot.UiState,
                maintenance = snapshot.MaintenanceReason,
                last_failure = failure,
                setup_token_required = setup.IsRequired,
                key_policy = MasterKeyPolicy.Description,
                message = ex is Embedded.SecretStoreIntegrityException
                    ? "The embedded secret store's files do not belong together (a store, key file or rollback mark is missing or older); the host's log says which and how to restore them."
                    : paths.Redact($"The {lifecycle.BackendKind} backend cannot be reached: {ex.Message}"),
            });
        }
    }

    private static async Task<IResult> RequestAsync(HttpContext http, SecretLifecycle lifecycle, AttemptRateLimiter limiter, VaultKeyFile keyFile,
        FilesystemPathRedactor paths, SetupToken setup, bool init)
    {
        var client = ClientKey.For(http);
        if (!limiter.TryAcquire(client, out var retryAfter))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Error(StatusCodes.Status429TooManyRequests, "rate_limited",
                $"Too many init/unseal attempts from this client. Try again in {seconds} s.");
        }

        VaultKeyRequest? body;
        try
        {
            // Not cancelled with the request (see AuthEndpoints: a cancelled body read leaves Kestrel's reader busy).
            body = await JsonSerializer.DeserializeAsync<VaultKeyRequest>(http.Request.Body, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            // The parser's message could quote the body, which holds the key.
            return Error(StatusCodes.Status400BadRequest, "bad_request", "The body must be JSON: {\"key\": \"<master key>\"}.");
        }

        var key = body?.Key;
        if (MasterKeyPolicy.Check(key) is { } weak)
        {
            return Error(StatusCodes.Status400BadRequest, "weak_key", weak);
        }

        SecretBackendStatus status;
        try
        {
            status = await lifecycle.ProbeAsync(http.RequestAborted).ConfigureAwait(false);
        }
        catch (SecretBackendUnreachableException ex)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "unreachable",
                paths.Redact($"The {lifecycle.BackendKind} backend cannot be reached ({ex.Message}). Try again when it is back."));
        }
        catch (Embedded.SecretStoreIntegrityException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "store_integrity",
                "The embedded secret store's files do not belong together; the host's log says which and how to restore them.");
        }

        if (init)
        {
            if (status.Initialized && !lifecycle.HasPendingInitialization)
            {
                return Error(StatusCodes.Status400BadRequest, "already_initialized",
                    $"The {lifecycle.BackendKind} secret store is already initialized; unseal it with POST /api/vault/unseal.");
            }

            if (!status.Initialized && keyFile.Exists)
            {
                return Error(StatusCodes.Status400BadRequest, "key_file_exists",
                    paths.Redact($"{keyFile.Path} already exists and is never overwritten by an init. Move it away (keep a backup) first."));
            }

            if (setup.IsRequired && !setup.Matches(body?.SetupToken))
            {
                return Error(StatusCodes.Status403Forbidden, "setup_token_required",
                    $"The first initialization needs the one-time setup token the host wrote to SECURITY_DIR/{SetupToken.FileName} (its log names the " +
                    "file). 'lyndrix vault init' run on the host reads it itself; other clients send it as \"setup_token\".");
            }

            lifecycle.RequestInit(key!, "api");
            return Accepted("init_requested");
        }

        if (!status.Initialized)
        {
            return Error(StatusCodes.Status400BadRequest, "not_initialized",
                $"The {lifecycle.BackendKind} secret store is not initialized; initialize it with POST /api/vault/init.");
        }

        if (!status.Sealed && lifecycle.Snapshot.Connected)
        {
            return Error(StatusCodes.Status400BadRequest, "already_unsealed", $"The {lifecycle.BackendKind} secret store is already unsealed and open.");
        }

        if (!keyFile.Exists)
        {
            return Error(StatusCodes.Status400BadRequest, "key_file_missing",
                paths.Redact($"There is no key file at {keyFile.Path}, so the key has nothing to decrypt. Restore vault_keys.enc from a backup."));
        }

        // Also accepted when the store is unsealed but not open: the key file then restores the token (no dead end).
        lifecycle.RequestUnseal(key!, "api");
        return Accepted("unseal_requested");
    }

    private static IResult Accepted(string action) =>
        Results.Json(new { status = "accepted", action, poll = "/api/vault/status" }, statusCode: StatusCodes.Status202Accepted);

    private static IResult Error(int status, string code, string detail) => ApiProblem.Result(status, code, detail);
}
