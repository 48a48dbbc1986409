using Lyndrix.Core.Configuration;
using Lyndrix.Core.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Support;

/// <summary>A whole host started in-process on a free loopback port, with every log line captured.</summary>
internal sealed class RunningHost : IAsyncDisposable
{
    private RunningHost(WebApplication app, CapturingLoggerProvider logs, HttpClient http)
    {
        App = app;
        Logs = logs;
        Http = http;
    }

    public WebApplication App { get; }

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Http { get; }

    public T Get<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<RunningHost> StartAsync(HostSettings settings, Action<IServiceCollection>? services = null)
    {
        var logs = new CapturingLoggerProvider();
        var app = LyndrixApp.Build(settings, new LyndrixApp.Options
        {
            Console = false,
            Logging = l => l.AddProvider(logs),
            Services = services,
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new RunningHost(app, logs, new HttpClient { BaseAddress = new Uri(address) });
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
