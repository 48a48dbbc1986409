using System.Net;
using Lyndrix.Core.Cli;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Cli;

/// <summary>Where the CLI sends master keys and tokens: the host's own address from the host's settings, only to loopback or
/// over HTTPS, and it says when a <c>.env</c> in the current directory chose the port.</summary>
public class HostAddressTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-cli");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<Uri> Seen { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Add(request.RequestUri!);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("{}") });
        }
    }

    [TestCase("http://10.1.2.3:8081")]
    [TestCase("http://lyndrix.example.org")]
    [TestCase("http://127.0.0.1.evil.example:8081")]
    public async Task The_master_key_never_goes_to_a_remote_address_over_plain_http(string url)
    {
        var handler = new RecordingHandler();
        var refused = Assert.ThrowsAsync<CliUsageException>(() => CliRun.RunAsync(new VaultCommand(handler), _dir.Path,
            new Dictionary<string, string> { ["LYNDRIX_MASTER_KEY"] = "a-perfectly-fine-master-key" }, "", "init", "--url", url));
        Assert.That(refused!.Message, Does.Contain("Refusing to send the master key").And.Contain("https://"));
        Assert.That(handler.Seen, Is.Empty);
    }

    [Test]
    public async Task A_token_never_goes_to_a_remote_address_over_plain_http()
    {
        var vault = await CliRun.RunAsync(_dir.Path, new Dictionary<string, string> { ["LYNDRIX_TOKEN"] = "lys_token" }, "",
            "vault", "status", "--url", "http://10.1.2.3:8081");
        var plugins = await CliRun.RunAsync(_dir.Path, new Dictionary<string, string>(), "", "plugins", "enable", "x", "--token", "lys_token", "--url",
            "http://10.1.2.3:8081");
        Assert.That((vault.ExitCode, plugins.ExitCode), Is.EqualTo((2, 2)), vault.Error + plugins.Error);
        Assert.That(vault.Error, Does.Contain("Refusing to send a session token"));
        Assert.That(plugins.Error, Does.Contain("Refusing to send a session token"));
    }

    [TestCase("https://lyndrix.example.org", "https://lyndrix.example.org/")]
    [TestCase("http://localhost:9000", "http://localhost:9000/")]
    [TestCase("http://[::1]:9000", "http://[::1]:9000/")]
    public async Task Https_and_loopback_addresses_get_the_key(string url, string expected)
    {
        var handler = new RecordingHandler();
        await CliRun.RunAsync(new VaultCommand(handler), _dir.Path, new Dictionary<string, string> { ["LYNDRIX_MASTER_KEY"] = "a-perfectly-fine-master-key" },
            "", "init", "--url", url);
        Assert.That(handler.Seen.Select(u => u.GetLeftPart(UriPartial.Authority) + "/"), Has.All.EqualTo(expected));
        Assert.That(handler.Seen, Is.Not.Empty);
    }

    [Test]
    public async Task The_default_address_follows_the_hosts_settings_and_a_dot_env_that_chose_the_port_is_named()
    {
        var handler = new RecordingHandler();
        await File.WriteAllTextAsync(Path.Combine(_dir.Path, ".env"), "PORT=9123\n");
        var env = new Dictionary<string, string> { ["PORT"] = "9123", ["LYNDRIX_BIND"] = "::1" };
        var run = await CliRun.RunAsync(new VaultCommand(handler), _dir.Path, env, "", "status");
        Assert.That(handler.Seen.First().GetLeftPart(UriPartial.Authority), Is.EqualTo("http://[::1]:9123"));
        Assert.That(run.Error, Does.Contain("PORT=9123").And.Contain(Path.Combine(_dir.Path, ".env")));

        handler.Seen.Clear();
        var wildcard = await CliRun.RunAsync(new VaultCommand(handler), _dir.Path, new Dictionary<string, string> { ["PORT"] = "9124", ["LYNDRIX_BIND"] = "0.0.0.0" },
            "", "status");
        Assert.That(handler.Seen.First().GetLeftPart(UriPartial.Authority), Is.EqualTo("http://127.0.0.1:9124"));
        Assert.That(wildcard.Error, Does.Not.Contain(".env"));
    }
}
