using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Secrets.Http;

namespace Lyndrix.Core.Cli;

/// <summary><c>lyndrix vault status|init|unseal</c>: talks to a running host's <c>/api/vault/*</c>.</summary>
internal sealed class VaultCommand(HttpMessageHandler? handler = null) : ICliCommand
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "no-wait" };
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string Name => "vault";

    public string Summary => "Show the secret store's state, or initialize / unseal it on a running host.";

    public string Help =>
        "Usage: lyndrix vault <status|init|unseal> [--url URL] [--token TOKEN] [--timeout SECONDS] [--no-wait]\n\n" +
        "Talks to a running host's HTTP API:\n" +
        "  status   GET /api/vault/status: backend, initialized, sealed, connected, ui_state, last failure.\n" +
        "           Exit 0 when the store is open (ui_state ready), 1 otherwise.\n" +
        "  init     POST /api/vault/init: initialize an uninitialized store with the master key; the host writes\n" +
        "           vault_keys.enc (never over an existing one) before unsealing.\n" +
        "  unseal   POST /api/vault/unseal: unseal a sealed store with the master key (the host decrypts vault_keys.enc).\n" +
        "init and unseal wait until the store is open or the attempt failed (--timeout, default 60 s), unless --no-wait.\n" +
        "Outside development the first init also needs the one-time setup token the host writes to SECURITY_DIR/setup.token;\n" +
        "init reads it from there (run it on the host, as a user who may read that folder).\n\n" +
        "The master key is read from LYNDRIX_MASTER_KEY or, when that is not set, from the first line of stdin\n" +
        "(type it, or pipe it from your secret manager). It is never accepted on the command line.\n" +
        "--url  the host's base URL (default: where the host listens, from LYNDRIX_BIND, PORT and LYNDRIX_TLS_CERT in the\n" +
        "       environment or .env; the command says when ./.env chose it). The key and tokens are sent only to a loopback\n" +
        "       address or over https.\n" +
        "--token  an administrator's session token (or LYNDRIX_TOKEN). While the host boots nobody can sign in, so init and\n" +
        "         unseal are open then; once identity is ready (e.g. a store sealed at run time) they need an admin token.\n" +
        "The host allows 5 init/unseal attempts per client per 60 s. Exit codes: 0 success, 1 failure, 2 usage error.";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, Flags);
        if (parsed.Positional.Count != 1 || parsed.Positional[0] is not ("status" or "init" or "unseal"))
        {
            throw new CliUsageException(parsed.Positional.Count == 0
                ? "Name a sub-command: status, init or unseal."
                : $"Unknown sub-command '{string.Join(' ', parsed.Positional)}': use status, init or unseal.");
        }

        var action = parsed.Positional[0];
        var timeout = TimeSpan.FromSeconds(ParseSeconds(parsed.Get("timeout") ?? "60"));
        var address = HostAddress.Resolve(context, parsed.Get("url"));
        var baseUri = address.BaseUri;
        if (address.DotEnvNote is { } note)
        {
            await context.Error.WriteLineAsync(note).ConfigureAwait(false);
        }

        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = baseUri;
        http.Timeout = TimeSpan.FromSeconds(30);
        if ((parsed.Get("token") ?? context.Config.Get("LYNDRIX_TOKEN")) is { Length: > 0 } token)
        {
            address.RequireSafeFor("a session token");
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            if (action == "status")
            {
                var status = await GetStatusAsync(http, cancellationToken).ConfigureAwait(false);
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(status, Indented)).ConfigureAwait(false);
                return status.GetProperty("ui_state").GetString() == "ready" ? 0 : 1;
            }

            address.RequireSafeFor("the master key");
            var key = context.Config.Get("LYNDRIX_MASTER_KEY") ?? (await context.In.ReadLineAsync(cancellationToken).ConfigureAwait(false))?.TrimEnd('\r');
            if (string.IsNullOrEmpty(key))
            {
                throw new CliUsageException("No master key: set LYNDRIX_MASTER_KEY or write the key as the first line of stdin.");
            }

            // The first init outside development needs the setup token the host wrote next to its key file; on the host's machine
            // (same SECURITY_DIR) the CLI reads it, so the operator never copies it around.
            var setupToken = action == "init" ? SetupToken.ReadFrom(HostSettings.Load(context.Config, context.WorkingDirectory).SecurityDir) : null;
            return await RequestAsync(context, http, action, key, setupToken, parsed.Has("no-wait"), timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            await context.Error.WriteLineAsync($"Cannot reach the host at {baseUri}: {ex.Message}. Is 'lyndrix run' running there (see --url / PORT)?")
                .ConfigureAwait(false);
            return 1;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await context.Error.WriteLineAsync($"The host at {baseUri} did not answer within {http.Timeout.TotalSeconds:0} s.").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<int> RequestAsync(CliContext context, HttpClient http, string action, string key, string? setupToken, bool noWait,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var before = FailureSequence(await GetStatusAsync(http, cancellationToken).ConfigureAwait(false));
        using var body = new StringContent(JsonSerializer.Serialize(new VaultKeyRequest { Key = key, SetupToken = setupToken }), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"api/vault/{action}", body, cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode is 401 or 403)
        {
            await context.Error.WriteLineAsync(
                $"vault {action} refused ({(int)response.StatusCode}): the host is up, so only a signed-in administrator may {action} the store. " +
                "Sign in with POST /api/auth/login and pass the token with --token or LYNDRIX_TOKEN.").ConfigureAwait(false);
            return 1;
        }

        if ((int)response.StatusCode != 202)
        {
            var problem = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var retry = response.Headers.RetryAfter?.Delta is { } delta ? $" (retry after {delta.TotalSeconds:0} s)" : "";
            await context.Error.WriteLineAsync($"vault {action} refused ({(int)response.StatusCode}): {HostProblem.Detail(problem, response.ReasonPhrase)}{retry}")
                .ConfigureAwait(false);
            return 1;
        }

        if (noWait)
        {
            await context.Out.WriteLineAsync($"vault {action}: accepted; poll 'lyndrix vault status' for the outcome.").ConfigureAwait(false);
            return 0;
        }

        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var status = await GetStatusAsync(http, cancellationToken).ConfigureAwait(false);
            if (status.GetProperty("ui_state").GetString() == "ready")
            {
                await context.Out.WriteLineAsync($"vault {action}: done, the {status.GetProperty("backend").GetString()} secret store is open.")
                    .ConfigureAwait(false);
                return 0;
            }

            if (FailureSequence(status) > before && status.GetProperty("last_failure") is { } failure)
            {
                await context.Error.WriteLineAsync(
                    $"vault {action} failed ({failure.GetProperty("reason").GetString()}): {failure.GetProperty("message").GetString()}").ConfigureAwait(false);
                return 1;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                await context.Error.WriteLineAsync(
                    $"vault {action}: still '{status.GetProperty("ui_state").GetString()}' after {timeout.TotalSeconds:0} s; check 'lyndrix vault status' " +
                    "and the host's log.").ConfigureAwait(false);
                return 1;
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<JsonElement> GetStatusAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri("api/vault/status", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET /api/vault/status answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
    }

    private static long FailureSequence(JsonElement status) =>
        status.TryGetProperty("last_failure", out var f) && f.ValueKind == JsonValueKind.Object ? f.GetProperty("sequence").GetInt64() : 0;

    private static double ParseSeconds(string raw) =>
        double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 3600
            ? s
            : throw new CliUsageException($"--timeout must be a number of seconds from 0 to 3600 (got '{raw}').");
}
