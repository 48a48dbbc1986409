using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;
using static Lyndrix.Core.Tests.Auth.Support.SignIns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.Core.Tests.Auth;

/// <summary>Device cookies as the owner meets them (a login storm from many addresses, the account locked by others'
/// guesses) and as an attacker does (a changed byte, another account's cookie, an expired one, a stolen one).</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class LoginDeviceTests
{
    private const string OwnerAddress = "192.0.2.10";
    private const string NewPassword = "An0ther-Passw0rd-for-tests";

    private static (string, string)[] Env(params (string, string)[] more) => SignIns.Env(5, 5, [("LYNDRIX_TRUSTED_PROXIES", "127.0.0.1"), .. more]);

    /// <summary>A client that sends exactly the cookies a test gives it.</summary>
    private static HttpClient Client(AuthHost host) => new(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = host.Client.BaseAddress };

    /// <summary>Signs in and returns the device cookie as a request sends it (<c>name=value</c>).</summary>
    private static async Task<string> DeviceCookieAsync(HttpClient client, string username, string password, string address = OwnerAddress)
    {
        var (status, device) = await SendAsync(client, Login(username, password, address));
        Assert.That(status, Is.EqualTo(200));
        Assert.That(device, Is.Not.Null, "a successful login sets a device cookie");
        return device!.Split(';')[0];
    }

    /// <summary>Locks the account with the per-account limit: five failures from five addresses, then a 429.</summary>
    private static async Task LockAsync(HttpClient client, string username)
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.That((await SendAsync(client, Login(username, "guess-" + i, $"203.0.113.{i}"))).Status, Is.EqualTo(401));
        }

        Assert.That((await SendAsync(client, Login(username, "guess-5", "203.0.113.99"))).Status, Is.EqualTo(429));
    }

    private static string WithValue(string cookie, string value) => cookie[..(cookie.IndexOf('=') + 1)] + value;

    private static string ValueOf(string cookie) => cookie[(cookie.IndexOf('=') + 1)..];

    [Test]
    public async Task In_a_storm_from_many_addresses_the_owner_with_a_device_cookie_gets_in_at_once_and_without_one_is_refused()
    {
        // One hashing thread and a hash of some milliseconds: the storm below keeps its queue full.
        await using var host = await SignIns.StartWithOneHashingThreadAsync(Env(), new PasswordHashParameters(1, 16384, 1));
        using var owner = Client(host);
        var device = await DeviceCookieAsync(owner, "admin", AdminPassword);

        // 30 clients spray unknown names and 3 guess the admin's password, every attempt from a new address behind the trusted
        // proxy, each sent again as soon as it is answered (Retry-After ignored).
        var answers = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var storm = Enumerable.Range(0, 33).Select(i => AttackAsync(host, i < 3 ? "admin" : null, i, answers, stop.Token)).ToArray();
        try
        {
            await Eventually.True(() => answers.GetValueOrDefault("admin 429") > 0 && answers.GetValueOrDefault("spray 503") > 0,
                "the storm locks the admin account and fills the hashing queue", 60);

            var (refused, _) = await SendAsync(owner, Login("admin", AdminPassword, OwnerAddress));
            Assert.That(refused, Is.AnyOf(429, 503), "without the device cookie the owner is one of the crowd");

            var took = Stopwatch.StartNew();
            var (status, rotated) = await SendAsync(owner, Login("admin", AdminPassword, OwnerAddress, device));
            took.Stop();
            Assert.That(status, Is.EqualTo(200), "the device cookie's reserved lane and first place in the hashing queue");
            Assert.That(took.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "at most the hash in progress and its own, not the storm's queue");
            Assert.That(rotated, Is.Not.Null, "every success sets a fresh device cookie");

            Assert.That((await SendAsync(owner, Login("admin", AdminPassword, OwnerAddress, rotated!.Split(';')[0]))).Status, Is.EqualTo(200));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(storm);
        }

        Assert.That(answers.GetValueOrDefault("admin 401"), Is.EqualTo(5), string.Join(", ", answers.Select(a => $"{a.Key}: {a.Value}")));
    }

    private static async Task AttackAsync(AuthHost host, string? target, int attacker, ConcurrentDictionary<string, int> answers, CancellationToken stop)
    {
        using var client = Client(host);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var user = target ?? $"nobody-{attacker}-{n}";
            try
            {
                using var request = Login(user, $"guess-{n}", $"10.{attacker}.{n / 250 % 250}.{n % 250 + 1}");
                using var response = await client.SendAsync(request, stop);
                answers.AddOrUpdate($"{(target is null ? "spray" : target)} {(int)response.StatusCode}", 1, (_, c) => c + 1);
                if (target is not null && (int)response.StatusCode == 429)
                {
                    // Refused without hashing: a short pause keeps the test machine's CPU for the host.
                    await Task.Delay(20, stop);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [Test]
    public async Task A_device_cookie_exempts_its_owner_from_a_lockout_others_caused_and_the_owner_s_success_does_not_lift_it_for_them()
    {
        await using var host = await AuthHost.StartAsync(Env());
        using var client = Client(host);
        var device = await DeviceCookieAsync(client, "admin", AdminPassword);
        await LockAsync(client, "admin");

        Assert.That((await SendAsync(client, Login("admin", AdminPassword, OwnerAddress))).Status, Is.EqualTo(429), "no cookie: locked like anyone");
        Assert.That((await SendAsync(client, Login("admin", AdminPassword, OwnerAddress, device))).Status, Is.EqualTo(200));
        Assert.That((await SendAsync(client, Login("admin", "guess-6", "203.0.113.50"))).Status, Is.EqualTo(429),
            "the guessers' failures still count after the owner's success");
    }

    [Test]
    public async Task A_device_cookie_exempts_its_owner_from_a_lockout_guesses_on_another_host_caused_and_keeps_it_for_them()
    {
        // Two hosts on one database: the per-account limit is cluster-wide, the device exemption holds against it too.
        using var storage = new TempDirectory("lyndrix-shared-db");
        await using var a = await AuthHost.StartAsync(Env(("STORAGE_DIR", storage.Path)));
        await using var b = await AuthHost.StartAsync(Env(("STORAGE_DIR", storage.Path)));
        using var onA = Client(a);
        using var onB = Client(b);
        var device = await DeviceCookieAsync(onA, "admin", AdminPassword);
        await LockAsync(onB, "admin");

        Assert.That((await SendAsync(onA, Login("admin", AdminPassword, OwnerAddress))).Status, Is.EqualTo(429),
            "no cookie: locked on the host that saw no guess");
        Assert.That((await SendAsync(onA, Login("admin", AdminPassword, OwnerAddress, device))).Status, Is.EqualTo(200));
        Assert.That((await SendAsync(onB, Login("admin", "guess-6", "203.0.113.50"))).Status, Is.EqualTo(429),
            "the owner's success through a device cleared nothing of the guessers' failures");
        Assert.That((await SendAsync(onA, Login("admin", "guess-7", "203.0.113.51"))).Status, Is.EqualTo(429));
    }

    [Test]
    public async Task A_device_cookie_also_exempts_its_owner_from_the_limit_of_a_shared_address()
    {
        await using var host = await AuthHost.StartAsync(Env());
        using var client = Client(host);
        var device = await DeviceCookieAsync(client, "admin", AdminPassword, "198.51.100.7");
        for (var i = 0; i < 5; i++)
        {
            await SendAsync(client, Login($"user-{i}", "guess", "198.51.100.7"));
        }

        Assert.That((await SendAsync(client, Login("bot", BotPassword, "198.51.100.7"))).Status, Is.EqualTo(429), "the address is throttled");
        Assert.That((await SendAsync(client, Login("admin", AdminPassword, "198.51.100.7", device))).Status, Is.EqualTo(200));
    }

    [TestCase("one character changed")]
    [TestCase("truncated")]
    [TestCase("not base64")]
    [TestCase("empty")]
    [TestCase("far too long")]
    public async Task A_forged_device_cookie_is_no_exemption_and_no_error(string forgery)
    {
        await using var host = await AuthHost.StartAsync(Env());
        using var client = Client(host);
        var device = await DeviceCookieAsync(client, "admin", AdminPassword);
        await LockAsync(client, "admin");

        var value = ValueOf(device);
        var forged = forgery switch
        {
            "one character changed" => value[..20] + (value[20] == 'A' ? 'B' : 'A') + value[21..],
            "truncated" => value[..^4],
            "not base64" => "!!" + value[2..],
            "empty" => "",
            _ => string.Concat(Enumerable.Repeat(value, 40)),
        };
        Assert.That((await SendAsync(client, Login("admin", AdminPassword, OwnerAddress, WithValue(device, forged)))).Status, Is.EqualTo(429));
        Assert.That((await SendAsync(client, Login("admin", AdminPassword, OwnerAddress, device))).Status, Is.EqualTo(200), "the real one still works");
    }

    [Test]
    public async Task Another_account_s_device_cookie_is_no_exemption()
    {
        await using var host = await AuthHost.StartAsync(Env());
        using var client = Client(host);
        var bots = await DeviceCookieAsync(client, "bot", BotPassword);
        var admins = await DeviceCookieAsync(client, "admin", AdminPassword);
        Assert.That(bots[..bots.IndexOf('=')], Is.Not.EqualTo(admins[..admins.IndexOf('=')]), "one cookie per account");
        Assert.That(ValueOf(bots), Does.Not.Contain("bot").And.Not.Contain("admin"));
        await LockAsync(client, "admin");

        Assert.That((await SendAsync(client, Login("admin", AdminPassword, OwnerAddress, bots))).Status, Is.EqualTo(429), "under its own name");
        Assert.That((await SendAsync(client, Login("admin", AdminPassword, OwnerAddress, WithValue(admins, ValueOf(bots))))).Status, Is.EqualTo(429),
            "under the admin's name");
    }

    [Test]
    public async Task An_expired_device_cookie_is_no_exemption()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await AuthHost.StartAsync(Env(("LYNDRIX_LOGIN_DEVICE_DAYS", "30")), services: s => s.AddSingleton(sp =>
            new LoginDeviceCookies(sp.GetRequiredService<AuthSettings>(), clock, () => sp.GetService<ISecretBackend>()?.Store,
                NullLogger<LoginDeviceCookies>.Instance)));
        using var client = Client(host);
        var device = await DeviceCookieAsync(client, "admin", AdminPassword);
        await LockAsync(client, "admin");

        clock.Advance(TimeSpan.FromDays(29));
        Assert.That((await SendAsync(client, Login("admin", AdminPassword, OwnerAddress, device))).Status, Is.EqualTo(200), "29 days old");
        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        Assert.That((await SendAsync(client, Login("admin", AdminPassword, OwnerAddress, device))).Status, Is.EqualTo(429),
            "past 30 days, whatever the browser kept");
    }

    [Test]
    public async Task A_stolen_device_cookie_gives_its_holder_no_more_guesses_than_the_account_limit()
    {
        await using var host = await AuthHost.StartAsync(Env());
        using var client = Client(host);
        var device = await DeviceCookieAsync(client, "admin", AdminPassword);
        await LockAsync(client, "admin");

        for (var i = 0; i < 5; i++)
        {
            Assert.That((await SendAsync(client, Login("admin", "stolen-" + i, "198.51.100.9", device))).Status, Is.EqualTo(401));
        }

        // The device has used up its own failures: it is an unknown client again, and the account is locked.
        Assert.That((await SendAsync(client, Login("admin", "stolen-5", "198.51.100.9", device))).Status, Is.EqualTo(429));
        Assert.That((await SendAsync(client, Login("admin", AdminPassword, OwnerAddress, device))).Status, Is.EqualTo(429));
    }

    /// <summary>Signs in and returns the bearer token and the device cookie (<c>name=value</c>).</summary>
    private static async Task<(string Token, string Device)> SignInAsync(HttpClient client, string username, string password, string address = OwnerAddress)
    {
        using var request = Login(username, password, address);
        using var response = await client.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        var device = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("lyndrix_device_", StringComparison.Ordinal));
        var token = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString()!;
        return (token, device.Split(';')[0]);
    }

    private static HttpRequestMessage ChangePassword(string token, string current, string fresh, string forwardedFor, string? cookie = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/password")
        {
            Content = JsonContent.Create(new { current_password = current, new_password = fresh }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return request;
    }

    [Test]
    public async Task An_owner_with_a_device_cookie_changes_the_password_while_others_guesses_keep_the_account_locked()
    {
        await using var host = await AuthHost.StartAsync(Env());
        using var client = Client(host);
        var (token, device) = await SignInAsync(client, "admin", AdminPassword);
        await LockAsync(client, "admin");

        Assert.That((await SendAsync(client, ChangePassword(token, AdminPassword, NewPassword, OwnerAddress))).Status, Is.EqualTo(429),
            "without the device cookie the change meets the lock like a login");
        var (status, fresh) = await SendAsync(client, ChangePassword(token, AdminPassword, NewPassword, OwnerAddress, device));
        Assert.That(status, Is.EqualTo(204), "the device cookie exempts the owner, as at the login");
        Assert.That(fresh, Is.Not.Null, "the change sets a device cookie bound to the new password");

        Assert.That((await SendAsync(client, Login("admin", NewPassword, OwnerAddress, fresh!.Split(';')[0]))).Status, Is.EqualTo(200));
        Assert.That((await SendAsync(client, Login("admin", "guess-6", "203.0.113.50"))).Status, Is.EqualTo(429),
            "the guessers' failures still count after the owner's change");
    }

    [Test]
    public async Task A_wrong_current_password_from_a_device_counts_against_that_device_alone()
    {
        await using var host = await AuthHost.StartAsync(Env());
        using var client = Client(host);
        var (token, device) = await SignInAsync(client, "admin", AdminPassword);
        for (var i = 0; i < 5; i++)
        {
            Assert.That((await SendAsync(client, ChangePassword(token, "wrong-" + i, NewPassword, OwnerAddress, device))).Status, Is.EqualTo(403));
        }

        Assert.That((await SendAsync(client, ChangePassword(token, "wrong-5", NewPassword, OwnerAddress, device))).Status, Is.EqualTo(403),
            "the device has used up its failures: it is an unknown client again, and the account itself has none");
        Assert.That((await SendAsync(client, Login("admin", AdminPassword, "198.51.100.20"))).Status, Is.EqualTo(200),
            "the device's failures did not lock the account for others");
    }

    [Test]
    public async Task A_password_change_voids_every_device_cookie_of_the_account_including_a_stolen_one()
    {
        await using var host = await AuthHost.StartAsync(Env());
        using var thief = Client(host);
        using var owner = Client(host);
        // The thief copied the cookie of one of the owner's browsers; the owner changes the password from another.
        var stolen = await DeviceCookieAsync(thief, "admin", AdminPassword);
        var (token, device) = await SignInAsync(owner, "admin", AdminPassword);
        var (status, fresh) = await SendAsync(owner, ChangePassword(token, AdminPassword, NewPassword, OwnerAddress, device));
        Assert.That(status, Is.EqualTo(204));
        await LockAsync(owner, "admin");

        Assert.That((await SendAsync(thief, Login("admin", "thief-guess", "198.51.100.66", stolen))).Status, Is.EqualTo(429),
            "the stolen cookie no longer buys guesses past the lock");
        Assert.That((await SendAsync(thief, Login("admin", NewPassword, "198.51.100.66", stolen))).Status, Is.EqualTo(429),
            "not even with the right password: the cookie is void, not just the password wrong");
        Assert.That((await SendAsync(owner, Login("admin", NewPassword, OwnerAddress, device))).Status, Is.EqualTo(429),
            "the changing browser's old cookie is void too");
        Assert.That((await SendAsync(owner, Login("admin", NewPassword, OwnerAddress, fresh!.Split(';')[0]))).Status, Is.EqualTo(200),
            "the cookie the change set is bound to the new password");
    }

    [Test]
    public async Task The_device_cookie_is_http_only_same_site_strict_and_sent_only_to_the_sign_in_endpoints()
    {
        await using var host = await AuthHost.StartAsync(Env());
        using var client = Client(host);
        var (_, device) = await SendAsync(client, Login("admin", AdminPassword, OwnerAddress));
        Assert.That(device, Does.Contain("httponly").IgnoreCase);
        Assert.That(device, Does.Contain("samesite=strict").IgnoreCase);
        Assert.That(device, Does.Contain("path=/api/auth;").IgnoreCase, "the login and the password change, not the rest of the API");
        Assert.That(device, Does.Contain("max-age=2592000").IgnoreCase);
    }

    [Test]
    public async Task With_device_cookies_turned_off_none_is_set()
    {
        await using var host = await AuthHost.StartAsync(Env(("LYNDRIX_LOGIN_DEVICE_DAYS", "0")));
        using var client = Client(host);
        var (status, device) = await SendAsync(client, Login("admin", AdminPassword, OwnerAddress));
        Assert.That(status, Is.EqualTo(200));
        Assert.That(device, Is.Null);
    }
}
