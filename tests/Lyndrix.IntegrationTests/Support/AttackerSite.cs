using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>Another web site on loopback, as an attacker would run one: it serves whatever page the test gives it at
/// <c>/</c>, with no security headers of its own.</summary>
public sealed class AttackerSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AttackerSite(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public string Html { get; set; } = "<!doctype html><title>nothing</title>";

    public static async Task<AttackerSite> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        AttackerSite? site = null;
        app.MapGet("/", () => Results.Content(site!.Html, "text/html; charset=utf-8"));
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        site = new AttackerSite(app, address.Port);
        return site;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
