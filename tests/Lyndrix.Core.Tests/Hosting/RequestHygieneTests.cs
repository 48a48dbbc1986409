using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Hosting;

/// <summary>Requests a web page could make a browser send (foreign Host, foreign Origin, non-JSON bodies) and bodies meant
/// to exhaust memory or fill the log, tried against the real host.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class RequestHygieneTests
{
    private static readonly (string, string)[] Env = [];

    private static HttpRequestMessage Post(string path, string body, string contentType, string? origin = null, string? host = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (host is not null)
        {
            request.Headers.Host = host;
        }

        return request;
    }

    [Test]
    public async Task A_text_plain_init_with_a_foreign_origin_and_host_is_refused_at_each_step()
    {
        await using var host = await AuthHost.StartAsync(Env, waitForIam: false);
        const string body = "{\"key\": \"attacker-chosen-master-key\"}";
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(Post("/api/vault/init", body, "text/plain", "http://evil.example", "evil.example")), 400,
            "host_not_allowed");
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(Post("/api/vault/init", body, "text/plain", "http://evil.example")), 403, "foreign_origin");
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(Post("/api/vault/init", body, "text/plain")), 415, "unsupported_media_type");
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(Post("/api/vault/init", body, "application/x-www-form-urlencoded")), 415,
            "unsupported_media_type");
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(Post("/api/auth/login", body, "text/plain", "null")), 403, "foreign_origin");
    }

    [Test]
    public async Task Dns_rebinding_cannot_reach_anonymous_endpoints()
    {
        await using var host = await AuthHost.StartAsync(Env, waitForIam: false);
        foreach (var name in new[] { "rebind.attacker.example", "127.0.0.1.attacker.example", "localhost.evil" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/health");
            request.Headers.Host = name;
            await ProblemAssert.IsProblemAsync(host.Client.SendAsync(request), 400, "host_not_allowed");
        }

        foreach (var name in new[] { "localhost", "127.0.0.1", $"localhost:{host.Client.BaseAddress!.Port}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/health");
            request.Headers.Host = name;
            Assert.That((await host.Client.SendAsync(request)).StatusCode, Is.EqualTo(HttpStatusCode.OK), name);
        }
    }

    [Test]
    public async Task The_own_origin_and_the_public_url_are_accepted()
    {
        await using var host = await AuthHost.StartAsync([("LYNDRIX_PUBLIC_URL", "https://lyndrix.example.org")]);
        var own = $"http://127.0.0.1:{host.Client.BaseAddress!.Port}";
        const string body = "{\"username\": \"admin\", \"password\": \"lyndrix\"}";
        Assert.That((await host.Client.SendAsync(Post("/api/auth/login", body, "application/json", own))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await host.Client.SendAsync(Post("/api/auth/login", body, "application/json", "https://lyndrix.example.org", "lyndrix.example.org")))
            .StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(Post("/api/auth/login", body, "application/json", "https://lyndrix.example.org.evil.example")),
            403, "foreign_origin");
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(Post("/api/auth/login", body, "application/json", own.Replace("http:", "https:", StringComparison.Ordinal))),
            403, "foreign_origin");
    }

    [Test]
    public async Task Allowed_hosts_replace_the_defaults()
    {
        await using var host = await AuthHost.StartAsync([("LYNDRIX_ALLOWED_HOSTS", "lyndrix.internal, *.lyndrix.example.org")], waitForIam: false);
        foreach (var (name, status) in new[] { ("lyndrix.internal", 200), ("a.lyndrix.example.org", 200), ("127.0.0.1", 400), ("lyndrix.example.org.evil", 400) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/health");
            request.Headers.Host = name;
            Assert.That((int)(await host.Client.SendAsync(request)).StatusCode, Is.EqualTo(status), name);
        }
    }

    [Test]
    public async Task Large_bodies_are_refused_before_parsing_and_each_costs_one_information_line()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var big = "{\"username\": \"admin\", \"password\": \"" + new string('x', 200_000) + "\"}";
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(Post("/api/auth/login", big, "application/json")), 413, "body_too_large");

        // Without a declared length the cap applies while reading.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))),
        };
        chunked.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(chunked), 413, "body_too_large");

        var about = host.Logs.Entries.Where(e => e.Message.Contains("413", StringComparison.Ordinal) || e.Message.Contains("body_too_large", StringComparison.Ordinal)).ToList();
        Assert.That(about, Has.Count.EqualTo(2), host.Logs.AllText);
        Assert.That(about.Select(e => (e.Level, e.Exception)), Has.All.EqualTo((LogLevel.Information, (Exception?)null)), host.Logs.AllText);
        Assert.That(host.Logs.Entries.Where(e => e.Level >= LogLevel.Warning && e.Message.Contains("request", StringComparison.OrdinalIgnoreCase)), Is.Empty,
            host.Logs.AllText);
    }

    [Test]
    public async Task A_client_that_hangs_up_mid_body_costs_one_information_line_without_a_stack()
    {
        await using var host = await AuthHost.StartAsync(Env);
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(IPAddress.Loopback, host.Client.BaseAddress!.Port);
            var head = "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"username\": \"adm";
            await socket.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head));
            await Task.Delay(200);
        }

        await Eventually.True(() => host.Logs.Entries.Any(e => e.Message.Contains("/api/auth/login", StringComparison.Ordinal)), "a log line about the aborted login");
        await Task.Delay(200);
        var lines = host.Logs.Entries.Where(e => e.Message.Contains("/api/auth/login", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.Count.EqualTo(1), host.Logs.AllText);
        Assert.That((lines[0].Level, lines[0].Exception), Is.EqualTo((LogLevel.Information, (Exception?)null)), host.Logs.AllText);
        Assert.That(host.Logs.Entries.Where(e => e.Level >= LogLevel.Warning && !e.Category.StartsWith("Lyndrix.Core.Secrets", StringComparison.Ordinal)), Is.Empty,
            host.Logs.AllText);
    }

    [Test]
    public async Task A_flood_of_large_bodies_does_not_grow_the_heap()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var big = new byte[4 * 1024 * 1024];
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var tasks = Enumerable.Range(0, 16).Select(async _ =>
        {
            using var content = new ByteArrayContent(big);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            try
            {
                using var response = await host.Client.PostAsync("/api/auth/login", content);
                return (int)response.StatusCode;
            }
            catch (HttpRequestException)
            {
                // The host answered 413 and closed the connection while the client was still sending.
                return 413;
            }
        });
        Assert.That(await Task.WhenAll(tasks), Has.All.EqualTo(413));
        var after = GC.GetTotalMemory(forceFullCollection: true);
        // The host never buffered the bodies: the heap did not grow by anything near 16 x 4 MiB.
        Assert.That(after - before, Is.LessThan(16L * 1024 * 1024));
    }
}
