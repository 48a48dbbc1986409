using Lyndrix.Core.Configuration;
using Lyndrix.Core.Hosting.Http;
using Lyndrix.Core.Hosting;
using Microsoft.Extensions.Hosting;

namespace Lyndrix.Core.Cli;

internal sealed class RunCommand : ICliCommand
{
    public string Name => "run";

    public string Summary => "Start the host and its HTTP API (the default command).";

    public string Help =>
        "Usage: lyndrix run\n\n" +
        "Boots the host in order: secret store (vault:opened) -> database (db:connected) -> IAM (iam:ready) ->\n" +
        "plugins -> system:boot_complete, printing progress on the console, and serves the HTTP API on\n" +
        "$LYNDRIX_BIND:$PORT (default 127.0.0.1:8081; https with LYNDRIX_TLS_CERT/_KEY): GET /api/health, GET /api/boot.\n\n" +
        "Key settings (environment or .env): ENV_TYPE (dev), PORT (8081), STORAGE_DIR, SECURITY_DIR, PLUGINS_DIR,\n" +
        "LOGS_DIR, LOG_LEVEL, LYNDRIX_BOOT_STEP_TIMEOUT (120 s), LYNDRIX_PLUGIN_SETUP_TIMEOUT (30 s),\n" +
        "LYNDRIX_BIND, LYNDRIX_TLS_CERT, LYNDRIX_TLS_KEY, LYNDRIX_PUBLIC_URL, LYNDRIX_ALLOWED_HOSTS, LYNDRIX_TRUSTED_PROXIES (see README, Deploying).\n" +
        "Plugin trust: LYNDRIX_PLUGIN_TRUST = any (dev default) | pinned (default otherwise) | signed, with\n" +
        "LYNDRIX_PLUGIN_TRUSTED_KEYS; see 'lyndrix plugins --help'.\n" +
        "Secrets (LYNDRIX_MASTER_KEY, VAULT_TOKEN, VAULT_SECRET_ID, DB_PASSWORD, LYNDRIX_ADMIN_PASSWORD, LYNDRIX_BOT_PASSWORD,\n" +
        "LYNDRIX_LDAP_BIND_PASSWORD, LYNDRIX_OIDC_CLIENT_SECRET) may come from files: NAME_FILE=/run/secrets/... (owner-only\n" +
        "outside dev). They are removed from the process environment before any plugin loads.\n" +
        "Single sign-on: LYNDRIX_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI; _CLIENT_AUTH (client_secret_basic or\n" +
        "client_secret_post; unset: from discovery). Claims come from the userinfo endpoint, then the ID token; with\n" +
        "LYNDRIX_OIDC_ADMIN_GROUPS set, the scope releasing _ROLE_CLAIM (groups) is asked for: _ROLE_SCOPE, or the claim's name\n" +
        "when the provider offers it. The browser lands on LYNDRIX_SSO_COMPLETE_URL (/auth/complete), a page of this host.\n" +
        "Stop with Ctrl+C.";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        if (args.Count > 0)
        {
            throw new CliUsageException($"'run' takes no arguments (got '{string.Join(' ', args)}').");
        }

        var settings = HostSettings.Load(context.Config, context.WorkingDirectory);
        var http = HttpSettings.Load(context.Config, context.WorkingDirectory);
        var listen = string.Join(", ", http.Bind.Select(a => $"{http.Scheme}://{HttpSettings.HostName(a)}:{http.Port}"));

        await context.Out.WriteLineAsync(
            $"Lyndrix starting ({settings.EnvType}): API on {listen}, plugins from {settings.PluginsDir}, logs in {settings.LogsDir}")
            .ConfigureAwait(false);
        // Each area reads its own settings while registering; their problems (e.g. refused default secrets) surface here
        // as a ConfigurationException, which LyndrixCli reports.
        await using var app = LyndrixApp.Build(settings);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
