using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Doctor;
using Lyndrix.Core.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Cli;

/// <summary><c>lyndrix doctor</c>: the "after restarts, verify" checklist as a command, against the running host or offline.</summary>
internal sealed class DoctorCommand : ICliCommand
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "json", "offline" };

    public string Name => "doctor";

    public string Summary => "Check a deployment: secret store, mount and token, master key, database and schema, logins, plugins, audit chain.";

    public string Help =>
        "Usage: lyndrix doctor [--offline] [--json] [--login USER [--password-env NAME]] [--url URL] [--token TOKEN] [--wait SECONDS]\n\n" +
        "Prints one line per check, OK / WARN / FAIL / SKIPPED, and on a problem what to do:\n" +
        "  secret_store      initialized, unsealed and reachable\n" +
        "  secret_mount      the lyndrix/ mount is KV v2 and the host's token opened it (when refused: the policy lines it needs)\n" +
        "  master_key        LYNDRIX_MASTER_KEY decrypts vault_keys.enc\n" +
        "  secret_access     the token may write, read, inspect and delete secrets (tried on core/doctor-probe, then removed);\n" +
        "                    a refusal names the missing capability and the policy line that grants it\n" +
        "  database          the database connects;  database_schema  every core migration is applied\n" +
        "  login:<provider>  a test login through each provider of LYNDRIX_AUTH_PROVIDERS (with --login USER; the password is\n" +
        "                    read from the environment variable named by --password-env, else prompted on stdin); without\n" +
        "                    --login these are SKIPPED. Test logins count towards the login throttle like any other.\n" +
        "  plugins           every enabled plugin is active\n" +
        "  audit_trail       the audit trail's hash chain is intact\n\n" +
        "By default it asks the running host (POST /api/doctor; --url, --token or LYNDRIX_TOKEN: an administrator's session).\n" +
        "--offline starts the deployment's services in this process instead (same settings, a free loopback port, no other\n" +
        "listener), waits for the boot to finish or fail for good (a step that timed out is still waited for; --wait, default\n" +
        "60 s), runs the checks and stops. Use it when no host runs: the embedded store admits one process at a time.\n" +
        "--json prints {status, exit_code, checks: [{name, status, message, fix}]}.\n" +
        "Exit code: 0 healthy, 1 degraded (a warning), 2 failed (a check failed, or no host answered).";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, Flags);
        if (parsed.Positional.Count > 0)
        {
            throw new CliUsageException($"'doctor' takes no arguments (got '{string.Join(' ', parsed.Positional)}').");
        }

        var login = parsed.Get("login");
        string? password = null;
        if (login is not null)
        {
            if (parsed.Get("password-env") is { } variable)
            {
                password = context.Config.Get(variable) ?? throw new CliUsageException($"--password-env names {variable}, which is not set.");
            }
            else
            {
                await context.Error.WriteAsync($"Password for {login}: ").ConfigureAwait(false);
                password = await context.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }

            if (string.IsNullOrEmpty(password))
            {
                throw new CliUsageException("--login needs a password (from --password-env NAME or the prompt).");
            }
        }

        var wait = parsed.Get("wait") is { } rawWait && int.TryParse(rawWait, out var seconds) && seconds is > 0 and <= 3600
            ? TimeSpan.FromSeconds(seconds)
            : parsed.Get("wait") is null ? TimeSpan.FromSeconds(60) : throw new CliUsageException("--wait is 1 to 3600 seconds.");

        DoctorJson? report;
        if (parsed.Has("offline"))
        {
            report = await OfflineAsync(context, login, password, wait, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            report = await OnlineAsync(context, parsed, login, password, cancellationToken).ConfigureAwait(false);
            if (report is null)
            {
                return 2;
            }
        }

        if (parsed.Has("json"))
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(report)).ConfigureAwait(false);
            return report.ExitCode;
        }

        foreach (var check in report.Checks)
        {
            await context.Out.WriteLineAsync($"{check.Status.ToUpperInvariant(),-8}{check.Name,-18}{check.Message}").ConfigureAwait(false);
            if (check.Fix is { } fix)
            {
                await context.Out.WriteLineAsync($"{"",-26}fix: {fix}").ConfigureAwait(false);
            }
        }

        await context.Out.WriteLineAsync($"{report.Status} (exit code {report.ExitCode})").ConfigureAwait(false);
        return report.ExitCode;
    }

    private static async Task<DoctorJson?> OnlineAsync(CliContext context, CliArguments parsed, string? login, string? password, CancellationToken cancellationToken)
    {
        var address = HostAddress.Resolve(context, parsed.Get("url"));
        var token = parsed.Get("token") ?? context.Config.Get("LYNDRIX_TOKEN");
        if (!string.IsNullOrEmpty(token) || password is not null)
        {
            address.RequireSafeFor(password is null ? "a session token" : "a session token and a test password");
        }

        var api = new PluginsCommandClient(address.BaseUri.AbsoluteUri.TrimEnd('/'), token);
        var content = login is null ? null : JsonContent.Create(new { login, password });
        var (status, body, error) = await api.SendAsync(HttpMethod.Post, "/api/doctor", content, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            await context.Error.WriteLineAsync(error + " To check a deployment without a running host, use 'lyndrix doctor --offline'.").ConfigureAwait(false);
            return null;
        }

        if (status != 200)
        {
            await context.Error.WriteLineAsync(status is 401 or 403
                ? $"The host refused ({status}): the doctor is for administrators. Pass an administrator's session token with --token or LYNDRIX_TOKEN."
                : $"The host answered {status}: {HostProblem.Detail(body, null)}").ConfigureAwait(false);
            return null;
        }

        return JsonSerializer.Deserialize<DoctorJson>(body);
    }

    private static async Task<DoctorJson> OfflineAsync(CliContext context, string? login, string? password, TimeSpan wait, CancellationToken cancellationToken)
    {
        var source = new OverridingConfigSource(context.Config, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PORT"] = "0",
            ["LYNDRIX_BIND"] = "127.0.0.1",
        });
        var settings = HostSettings.Load(source, context.WorkingDirectory);
        var app = LyndrixApp.Build(settings, new LyndrixApp.Options { Console = false });
        await using (app.ConfigureAwait(false))
        {
            await context.Error.WriteLineAsync($"Starting the deployment's services in this process (waiting up to {wait.TotalSeconds:0}s for the boot)...").ConfigureAwait(false);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var boot = app.Services.GetRequiredService<BootState>();
                var deadline = TimeProvider.System.GetUtcNow() + wait;
                // Until ready or failed for good: a step that timed out is still awaited, and its service may still be
                // setting up (IAM bootstrapping the accounts a test login needs).
                while (!boot.HasSettled && TimeProvider.System.GetUtcNow() < deadline)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                }

                var report = await app.Services.GetRequiredService<HostDoctor>().RunAsync(login, password, "loopback", cancellationToken).ConfigureAwait(false);
                return DoctorJson.From(report);
            }
            finally
            {
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
