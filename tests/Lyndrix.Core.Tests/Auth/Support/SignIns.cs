using System.Net.Http.Json;
using Lyndrix.Core.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Tests.Auth.Support;

/// <summary>
/// What the sign-in test classes share: the bootstrap accounts' passwords and limits, a login request as a client behind a
/// proxy sends it, and a host whose one hashing thread a storm can keep busy.
/// </summary>
internal static class SignIns
{
    public const string AdminPassword = "Adm1n-Passw0rd-for-tests";
    public const string BotPassword = "B0t-Passw0rd-for-tests";

    /// <summary>The bootstrap accounts with their passwords and the two failure limits; <paramref name="more"/> is applied last
    /// (it may replace a limit).</summary>
    public static (string, string)[] Env(int failuresPerUser, int failuresPerClient, params (string, string)[] more) =>
    [
        ("LYNDRIX_ADMIN_PASSWORD", AdminPassword), ("LYNDRIX_BOT_PASSWORD", BotPassword),
        ("LYNDRIX_LOGIN_MAX_FAILURES_PER_USER", failuresPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT", failuresPerClient.ToString(System.Globalization.CultureInfo.InvariantCulture)), .. more,
    ];

    /// <summary>A login; <paramref name="forwardedFor"/> is the client's address as a trusted proxy would name it.</summary>
    public static HttpRequestMessage Login(string username, string password, string? forwardedFor = null, string? cookie = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { username, password }) };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return request;
    }

    /// <summary>Sends <paramref name="request"/> (and disposes it): the status and the device cookie set, if any.</summary>
    public static async Task<(int Status, string? Device)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await client.SendAsync(request);
            var device = response.Headers.TryGetValues("Set-Cookie", out var cookies)
                ? cookies.FirstOrDefault(c => c.StartsWith("lyndrix_device_", StringComparison.Ordinal))
                : null;
            return ((int)response.StatusCode, device);
        }
    }

    /// <summary>A host with one hashing thread (the host's container owns and disposes it) and hashes of
    /// <paramref name="hashing"/>'s cost, so a storm of a few dozen clients keeps its queue full.</summary>
    /// <param name="refusalPause">Replaces <see cref="LoginAdmission.RefusalPause"/> when set.</param>
    public static Task<AuthHost> StartWithOneHashingThreadAsync((string, string)[] env, PasswordHashParameters hashing, TimeSpan? refusalPause = null) =>
        AuthHost.StartAsync(env, services: s =>
        {
            s.AddSingleton(_ => new PasswordHashingPool(1, NullLogger<PasswordHashingPool>.Instance));
            s.AddSingleton(hashing);
            if (refusalPause is { } pause)
            {
                s.AddSingleton(sp => new LoginAdmission(sp.GetRequiredService<PasswordHashingPool>()) { RefusalPause = pause });
            }
        });
}
