using System.Net.Http.Headers;
using System.Net.Http.Json;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Events;
using Lyndrix.Core.Hosting;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Auth.Support;

/// <summary>The real host on a loopback port with in-memory user and session stores and cheap Argon2 parameters. Stores can
/// be passed in so a second host instance sees the first one's data (a restart).</summary>
internal sealed class AuthHost : IAsyncDisposable
{
    private readonly string _dir;

    private AuthHost(WebApplication app, string dir, CapturingLoggerProvider logs, InMemoryUserStore users, InMemorySessionStore sessions)
    {
        App = app;
        _dir = dir;
        Logs = logs;
        Users = users;
        Sessions = sessions;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public CapturingLoggerProvider Logs { get; }
    public InMemoryUserStore Users { get; }
    public InMemorySessionStore Sessions { get; }
    public EventBus Bus => App.Services.GetRequiredService<EventBus>();

    public static async Task<AuthHost> StartAsync((string Name, string Value)[] env, InMemoryUserStore? users = null, InMemorySessionStore? sessions = null,
        Action<IServiceCollection>? services = null, bool waitForIam = true, Action<WebApplication>? map = null)
    {
        var dir = Directory.CreateTempSubdirectory("lyndrix-auth-").FullName;
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PORT"] = "0", ["STORAGE_DIR"] = Path.Combine(dir, "storage"), ["SECURITY_DIR"] = Path.Combine(dir, "security"),
            ["LOGS_DIR"] = Path.Combine(dir, "logs"), ["PLUGINS_DIR"] = Path.Combine(dir, "plugins"), ["LOG_LEVEL"] = "DEBUG",
            ["LYNDRIX_BOOT_STEP_TIMEOUT"] = "20",
        };
        foreach (var (name, value) in env)
        {
            values[name] = value;
        }

        users ??= new InMemoryUserStore();
        sessions ??= new InMemorySessionStore();
        var logs = new CapturingLoggerProvider();
        var settings = HostSettings.Load(new EnvironmentConfigSource(values), dir);
        var app = LyndrixApp.Build(settings, new LyndrixApp.Options
        {
            Console = false,
            Logging = l => l.AddProvider(logs),
            Services = s =>
            {
                s.AddSingleton<IUserStore>(users);
                s.AddSingleton<ISessionStore>(sessions);

                s.AddSingleton(AuthTestConfig.CheapHashing);
                services?.Invoke(s);
            },
        });
        map?.Invoke(app);
        await app.StartAsync();
        var host = new AuthHost(app, dir, logs, users, sessions);
        if (waitForIam)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await host.Bus.WaitForAsync(CoreTopics.IamReady, cts.Token);
        }

        return host;
    }

    public async Task<string> LoginAsync(string username, string password)
    {
        var response = await Client.PostAsJsonAsync("/api/auth/login", new { username, password });
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return body.GetProperty("token").GetString()!;
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string? token)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
