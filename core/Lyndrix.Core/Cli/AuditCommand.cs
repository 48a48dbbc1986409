using System.Text.Json;

namespace Lyndrix.Core.Cli;

/// <summary><c>lyndrix audit verify|list</c>: the running host's audit trail.</summary>
internal sealed class AuditCommand : ICliCommand
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "json" };

    public string Name => "audit";

    public string Summary => "Verify the audit trail's hash chain, or list its records.";

    public string Help =>
        "Usage: lyndrix audit <subcommand> [options]\n\n" +
        "  verify [--json]             Walks the whole chain in the database (GET /api/audit/verify): every record's keyed hash,\n" +
        "                              its link to the record before it, and the anchor the secret store keeps (so deleting the\n" +
        "                              newest or the oldest records is caught too). Exit code 0 intact, 1 altered (the first\n" +
        "                              broken record and why are printed), 2 when the host or the trail could not be reached.\n" +
        "  list [--since TIME] [--module ID] [--action NAME] [--actor NAME] [--limit N] [--json]\n" +
        "                              Records oldest first (GET /api/audit), e.g. --action secret.read --module lyndrix.sample.hello.\n\n" +
        "Options: --url URL (default: where the host listens), --token TOKEN (or LYNDRIX_TOKEN): an administrator's session.\n" +
        "Settings read: PORT, LYNDRIX_BIND, LYNDRIX_TLS_CERT, LYNDRIX_TOKEN, LYNDRIX_AUDIT_RETENTION_DAYS (on the host).";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, Flags);
        if (parsed.Positional.Count != 1 || parsed.Positional[0] is not ("verify" or "list"))
        {
            throw new CliUsageException("Name a subcommand: verify or list.");
        }

        var address = HostAddress.Resolve(context, parsed.Get("url"));
        var token = parsed.Get("token") ?? context.Config.Get("LYNDRIX_TOKEN");
        if (!string.IsNullOrEmpty(token))
        {
            address.RequireSafeFor("a session token");
        }

        var api = new PluginsCommandClient(address.BaseUri.AbsoluteUri.TrimEnd('/'), token);
        var path = parsed.Positional[0] == "verify" ? "/api/audit/verify" : "/api/audit" + ListQuery(parsed);
        var (status, body, error) = await api.SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            await context.Error.WriteLineAsync(error).ConfigureAwait(false);
            return 2;
        }

        if (status is 401 or 403)
        {
            await context.Error.WriteLineAsync($"The host refused ({status}): the audit trail is for administrators. Pass an administrator's session token with --token or LYNDRIX_TOKEN.").ConfigureAwait(false);
            return 2;
        }

        if (status != 200)
        {
            await context.Error.WriteLineAsync($"The host answered {status}: {HostProblem.Detail(body, null)}").ConfigureAwait(false);
            return 2;
        }

        if (parsed.Has("json"))
        {
            await context.Out.WriteLineAsync(body).ConfigureAwait(false);
        }

        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (parsed.Positional[0] == "list")
        {
            if (!parsed.Has("json"))
            {
                foreach (var e in root.GetProperty("entries").EnumerateArray())
                {
                    await context.Out.WriteLineAsync(
                        $"#{e.GetProperty("seq").GetInt64()} {e.GetProperty("at").GetString()} {e.GetProperty("actor").GetString()} " +
                        $"{e.GetProperty("action").GetString()} {Text(e, "target")} {e.GetProperty("outcome").GetString()}").ConfigureAwait(false);
                }
            }

            return 0;
        }

        var intact = root.GetProperty("status").GetString() == "intact";
        if (!parsed.Has("json"))
        {
            await (intact ? context.Out : context.Error).WriteLineAsync(intact
                ? $"Audit trail intact: {root.GetProperty("checked").GetInt64()} record(s) checked, newest #{root.GetProperty("head_seq").GetInt64()}."
                : $"Audit trail ALTERED at record #{root.GetProperty("broken_at").GetInt64()}: {root.GetProperty("problem").GetString()}").ConfigureAwait(false);
        }

        return intact ? 0 : 1;
    }

    private static string ListQuery(CliArguments parsed)
    {
        var parts = new[] { "since", "module", "action", "actor", "limit" }
            .Where(n => parsed.Get(n) is not null)
            .Select(n => $"{n}={Uri.EscapeDataString(parsed.Get(n)!)}")
            .ToArray();
        return parts.Length == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "-";
}
