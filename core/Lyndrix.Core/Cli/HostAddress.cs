using System.Globalization;
using System.Net;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Hosting.Http;

namespace Lyndrix.Core.Cli;

/// <summary>
/// Where the CLI finds the host: <c>--url</c>, or the address the host itself listens on, read from the same settings
/// (<c>LYNDRIX_BIND</c>, <c>PORT</c>, TLS). Master keys and tokens go only to a loopback address or over HTTPS, and when a
/// <c>.env</c> in the current directory chose the port, the CLI says so: that file decides where the key is sent.
/// </summary>
internal sealed class HostAddress
{
    private HostAddress(Uri baseUri, string? dotEnvNote)
    {
        BaseUri = baseUri;
        DotEnvNote = dotEnvNote;
    }

    /// <summary>The host's base address, ending in '/'.</summary>
    public Uri BaseUri { get; }

    /// <summary>Set when <c>./.env</c> supplied the port or bind address in use: a line for stderr.</summary>
    public string? DotEnvNote { get; }

    /// <summary>A loopback address or HTTPS: somewhere a master key or a token may be sent.</summary>
    public bool MaySendSecrets =>
        BaseUri.Scheme == Uri.UriSchemeHttps || BaseUri.IsLoopback;

    public static HostAddress Resolve(CliContext context, string? urlOption)
    {
        if (urlOption is not null)
        {
            if (!Uri.TryCreate(urlOption.TrimEnd('/') + "/", UriKind.Absolute, out var given) || given.Scheme is not ("http" or "https") ||
                given.UserInfo.Length > 0)
            {
                throw new CliUsageException($"--url must be an http(s) URL such as https://lyndrix.example.org (got '{urlOption}').");
            }

            return new HostAddress(given, null);
        }

        var http = HttpSettings.Load(context.Config, context.WorkingDirectory);
        // A wildcard bind listens on loopback too; talk to the host there.
        var address = http.Bind[0] is var first && (first.Equals(IPAddress.Any) || first.Equals(IPAddress.IPv6Any))
            ? (first.Equals(IPAddress.Any) ? IPAddress.Loopback : IPAddress.IPv6Loopback)
            : first;
        var port = http.Port.ToString(CultureInfo.InvariantCulture);
        var uri = new Uri($"{http.Scheme}://{HttpSettings.HostName(address)}:{port}/");
        return new HostAddress(uri, DotEnvNoteFor(context, port, string.Join(',', http.Bind)));
    }

    /// <summary>Refuses (usage error) to send <paramref name="what"/> to a remote address over plain HTTP.</summary>
    public void RequireSafeFor(string what)
    {
        if (!MaySendSecrets)
        {
            throw new CliUsageException(
                $"Refusing to send {what} to {BaseUri} over plain HTTP: it would cross the network in clear. Use the host's https:// address, " +
                "or run the command on the host itself (loopback).");
        }
    }

    private static string? DotEnvNoteFor(CliContext context, string port, string bind)
    {
        var file = Path.Combine(context.WorkingDirectory, ".env");
        if (!File.Exists(file))
        {
            return null;
        }

        var values = DotEnvFile.Parse(File.ReadAllLines(file));
        var used = new List<string>();
        if (values.TryGetValue("PORT", out var p) && p == port)
        {
            used.Add($"PORT={port}");
        }

        if (values.TryGetValue("LYNDRIX_BIND", out var b) && b.Replace(" ", "", StringComparison.Ordinal) == bind)
        {
            used.Add($"LYNDRIX_BIND={bind}");
        }

        return used.Count == 0 ? null : $"Note: {string.Join(" and ", used)} come(s) from {file}; that file decides where this command connects.";
    }
}
