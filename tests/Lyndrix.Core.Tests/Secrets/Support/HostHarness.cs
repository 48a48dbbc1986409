using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Events;
using Lyndrix.Core.Hosting;
using Lyndrix.Core.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Secrets.Support;

/// <summary>The whole host (<c>LyndrixApp.Build</c>, PORT=0) with captured logs, recorded events and an HTTP client.</summary>
internal sealed class HostHarness : IAsyncDisposable
{
    private HostHarness(WebApplication app, CapturingLoggerProvider logs, EventRecorder events, Uri baseAddress)
    {
        App = app;
        Logs = logs;
        Events = events;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress };
    }

    public WebApplication App { get; }

    public CapturingLoggerProvider Logs { get; }

    public EventRecorder Events { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public T Get<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<HostHarness> StartAsync(Dictionary<string, string> environment, Action<IServiceCollection>? services = null)
    {
        var logs = new CapturingLoggerProvider();
        var app = LyndrixApp.Build(SecretTestSettings.Host(environment), new LyndrixApp.Options
        {
            Console = false,
            Logging = b => b.AddProvider(logs),
            Services = services,
        });
        var events = new EventRecorder(app.Services.GetRequiredService<EventBus>());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HostHarness(app, logs, events, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>Waits for <c>iam:ready</c> and signs in as the bootstrap admin of <c>HostEnvironment</c>: once IAM is ready,
    /// init and unseal are for administrators only.</summary>
    public async Task<string> AdminTokenAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Get<EventBus>().WaitForAsync(Sdk.Events.CoreTopics.IamReady, timeout.Token);
        using var response = await Http.PostAsJsonAsync("api/auth/login", new { username = "admin", password = SecretTestSettings.AdminPassword });
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    public async Task<JsonElement> StatusAsync() => await Http.GetFromJsonAsync<JsonElement>("api/vault/status");

    /// <summary>The first-run setup token the host wrote (null when it wrote none).</summary>
    public string? SetupTokenValue => Lyndrix.Core.Secrets.Http.SetupToken.ReadFrom(Get<Lyndrix.Core.Secrets.SecretStoreSettings>().SecurityDir);

    public async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostKeyAsync(string action, string key, string? setupToken = null)
    {
        var response = await Http.PostAsJsonAsync($"api/vault/{action}", new { key, setup_token = setupToken });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return ((int)response.StatusCode, body, response);
    }

    public async Task<JsonElement> WaitForStatusAsync(Func<JsonElement, bool> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var status = await StatusAsync();
            if (condition(status))
            {
                return status;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {seconds}s waiting for {what}; last status: {status}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Events.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
