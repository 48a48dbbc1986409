using System.Net.Http.Json;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Hosting;

/// <summary>Every error of the HTTP API, from endpoints, the 401/403 handlers, the framework and the exception handler, is
/// one shape: an RFC 9457 problem with a stable type and code.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class ProblemDetailsTests
{
    private const string AdminPassword = "Adm1n-Passw0rd-for-tests";
    private const string BotPassword = "B0t-Passw0rd-for-tests";
    private const string InternalSecret = "internal-state-7f3a91 at /srv/secret/path";

    private static readonly (string, string)[] Env = [("LYNDRIX_ADMIN_PASSWORD", AdminPassword), ("LYNDRIX_BOT_PASSWORD", BotPassword)];

    private static void MapProbes(WebApplication app)
    {
        app.MapGroup("/api/test-admin").RequireLyndrixAdmin().MapGet("/", () => Results.Ok());
        app.MapGet("/api/test-throws", string () => throw new InvalidOperationException(InternalSecret));
    }

    [Test]
    public async Task Endpoints_handlers_and_the_framework_answer_with_problems()
    {
        await using var host = await AuthHost.StartAsync(Env, map: MapProbes);
        var bot = await host.LoginAsync("bot", BotPassword);
        var admin = await host.LoginAsync("admin", AdminPassword);

        await ProblemAssert.IsProblemAsync(host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "wrong-one" }), 401,
            "invalid_credentials");
        await ProblemAssert.IsProblemAsync(host.Client.PostAsync("/api/auth/login", new StringContent("{not json", null, "application/json")), 400,
            "invalid_request");
        await ProblemAssert.IsProblemAsync(host.Client.GetAsync("/api/auth/me"), 401, "unauthorized");
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/test-admin", bot)), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/plugins/test.nope", admin)), 404, "not_found");
        await ProblemAssert.IsProblemAsync(host.Client.GetAsync("/api/no-such-thing"), 404, "not_found");
        await ProblemAssert.IsProblemAsync(host.Client.DeleteAsync("/api/health"), 405, "method_not_allowed");
        await ProblemAssert.IsProblemAsync(host.Client.PostAsJsonAsync("/api/vault/unseal", new { key = "aaaa" }), 401, "unauthorized");
        var revoke = await ProblemAssert.IsProblemAsync(host.Client.SendAsync(host.Request(HttpMethod.Delete, "/api/auth/sessions/nope", admin)), 404, "not_found");
        Assert.That(revoke.GetProperty("detail").GetString(), Does.Contain("GET /api/auth/sessions"));
    }

    [Test]
    public async Task An_unexpected_exception_is_a_500_problem_that_names_no_internals_and_is_logged_once()
    {
        await using var host = await AuthHost.StartAsync(Env, map: MapProbes);
        var response = await host.Client.GetAsync("/api/test-throws");
        var body = await ProblemAssert.IsProblemAsync(response, 500, "internal_error");
        Assert.That(body.ToString(), Does.Not.Contain("7f3a91").And.Not.Contain("InvalidOperationException").And.Not.Contain("/srv"));

        var errors = host.Logs.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), host.Logs.AllText);
        Assert.That(errors[0].Exception?.Message, Is.EqualTo(InternalSecret));
    }
}
