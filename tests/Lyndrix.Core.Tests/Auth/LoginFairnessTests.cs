using System.Net;
using System.Net.Sockets;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;
using static Lyndrix.Core.Tests.Auth.Support.SignIns;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Tests.Auth;

/// <summary>Throttling and hashing as an attacker meets them: rotating addresses, proxies, parallel bursts, floods of
/// logins; and as the owner meets them: never locked out by someone else's guesses.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class LoginFairnessTests
{
    private static (string, string)[] Env(params (string, string)[] more) => SignIns.Env(5, 8, more);

    private static async Task<int> StatusAsync(HttpClient client, HttpRequestMessage request) => (await SendAsync(client, request)).Status;

    [Test]
    public async Task A_burst_of_correct_logins_for_one_account_queues_instead_of_being_refused()
    {
        await using var host = await AuthHost.StartAsync(Env());
        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => StatusAsync(host.Client, Login("admin", AdminPassword))));
        Assert.That(statuses, Has.All.EqualTo(200));
    }

    [Test]
    public async Task A_parallel_burst_of_guesses_meets_the_limit_like_a_sequence()
    {
        await using var host = await AuthHost.StartAsync(Env(("LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT", "1000")));
        var statuses = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => StatusAsync(host.Client, Login("admin", "wrong-" + i))));
        Assert.That(statuses.Count(s => s == 401), Is.EqualTo(5), string.Join(",", statuses));
        Assert.That(statuses.Count(s => s == 429), Is.EqualTo(11), string.Join(",", statuses));
    }

    [Test]
    public async Task Behind_a_trusted_proxy_one_guessing_client_of_fifty_is_throttled_and_the_others_are_not()
    {
        await using var host = await AuthHost.StartAsync(Env(("LYNDRIX_TRUSTED_PROXIES", "127.0.0.1")));
        var guesser = new List<int>();
        for (var i = 0; i < 12; i++)
        {
            guesser.Add(await StatusAsync(host.Client, Login($"user-{i}", "guess", "203.0.113.1")));
        }

        Assert.That(guesser.Take(8), Has.All.EqualTo(401));
        Assert.That(guesser.Skip(8), Has.All.EqualTo(429));

        var others = await Task.WhenAll(Enumerable.Range(2, 49).Select(i => StatusAsync(host.Client, Login("bot", BotPassword, $"203.0.113.{i}"))));
        Assert.That(others, Has.All.EqualTo(200));
    }

    [Test]
    public async Task Forwarded_headers_from_an_untrusted_peer_are_ignored()
    {
        await using var host = await AuthHost.StartAsync(Env());
        var statuses = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            statuses.Add(await StatusAsync(host.Client, Login($"user-{i}", "guess", $"198.51.100.{i}")));
        }

        Assert.That(statuses.Skip(8), Has.All.EqualTo(429));
    }

    [Test]
    public async Task Rotating_loopback_source_addresses_is_still_one_client()
    {
        await using var host = await AuthHost.StartAsync(Env());
        var statuses = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            var source = IPAddress.Parse($"127.0.0.{i + 2}");
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, token) =>
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, token);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            using var client = new HttpClient(handler) { BaseAddress = host.Client.BaseAddress };
            statuses.Add(await StatusAsync(client, Login($"user-{i}", "guess")));
        }

        Assert.That(statuses.Take(8), Has.All.EqualTo(401));
        Assert.That(statuses.Skip(8), Has.All.EqualTo(429));
    }

    [Test]
    public async Task Guesses_from_a_shared_address_cannot_lock_out_an_owner_who_signed_in_from_there()
    {
        // No trusted proxy: everyone behind it is one client, as on a NAT.
        await using var host = await AuthHost.StartAsync(Env());
        await host.LoginAsync("admin", AdminPassword);
        for (var i = 0; i < 12; i++)
        {
            await StatusAsync(host.Client, Login($"user-{i}", "guess"));
        }

        Assert.That(await StatusAsync(host.Client, Login("user-99", "guess")), Is.EqualTo(429));
        Assert.That(await StatusAsync(host.Client, Login("admin", AdminPassword)), Is.EqualTo(200));
        // An account that never signed in from this address waits for the window, as documented.
        Assert.That(await StatusAsync(host.Client, Login("bot", BotPassword)), Is.EqualTo(429));
    }

    [Test]
    public async Task A_flood_of_logins_beyond_the_queue_gets_503_with_retry_after_at_once()
    {
        // The queue's bound, not the pause before a refusal (tested below).
        await using var host = await StartWithOneHashingThreadAsync(Env(("LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT", "1000")),
            new PasswordHashParameters(2, 8192, 1), refusalPause: TimeSpan.Zero);
        var capacity = host.App.Services.GetRequiredService<LoginAdmission>().Capacity;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, capacity * 3).Select(async i =>
        {
            using var request = Login($"nobody-{i}", "guess");
            using var response = await host.Client.SendAsync(request);
            return (Status: (int)response.StatusCode, Retry: response.Headers.RetryAfter?.Delta, At: started.Elapsed,
                Body: await response.Content.ReadAsStringAsync());
        }));
        var busy = results.Where(r => r.Status == 503).ToList();
        var answered = results.Where(r => r.Status == 401).ToList();
        Assert.That(busy, Is.Not.Empty, string.Join(",", results.Select(r => r.Status)));
        Assert.That(busy.Select(b => b.Retry), Has.All.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(busy.Select(b => b.Body), Has.All.Contains("\"code\":\"busy\""));
        // Refused at once: the refusals came back before the hashing queue had drained.
        Assert.That(busy.Max(b => b.At), Is.LessThan(answered.Max(a => a.At)));
    }

    [Test]
    public async Task A_client_that_ignores_retry_after_gets_its_refusals_slowly_and_holds_no_slot_meanwhile()
    {
        // An attacker resends each 503 at once; answered at once, 20 such clients are a flood of thousands of requests a second.
        await using var host = await StartWithOneHashingThreadAsync(Env(("LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT", "1000")),
            new PasswordHashParameters(2, 8192, 1));
        var admission = host.App.Services.GetRequiredService<LoginAdmission>();
        Assert.That(admission.RefusalPause, Is.EqualTo(TimeSpan.FromSeconds(1)), "the default");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, admission.Capacity * 3).Select(async i =>
        {
            var sent = started.Elapsed;
            using var response = await host.Client.SendAsync(Login($"nobody-{i}", "guess"));
            return (Status: (int)response.StatusCode, Took: started.Elapsed - sent);
        }));
        var busy = results.Where(r => r.Status == 503).ToList();
        Assert.That(busy, Is.Not.Empty, string.Join(",", results.Select(r => r.Status)));
        Assert.That(busy.Select(b => b.Took), Has.All.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(950)));

        // While refusals wait out their pause, the slots they did not take still serve: the owner gets in after the burst.
        Assert.That(await StatusAsync(host.Client, Login("admin", AdminPassword)), Is.EqualTo(200));
    }
}
