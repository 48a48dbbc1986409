using System.Security.Cryptography;
using Lyndrix.Core.Cli;
using Lyndrix.Core.Modules.Trust;
using Lyndrix.Core.Tests.Secrets.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Tests.Modules.Trust;

/// <summary><c>lyndrix plugins trust|untrust|sign|verify</c> against the trust endpoints over real HTTP.</summary>
[TestFixture]
public sealed class PluginTrustCliTests
{
    private PluginHarness _host = null!;
    private WebApplication _app = null!;
    private string _url = "";
    private string _folder = "";
    private InMemoryKeyValueStore _store = null!;

    [SetUp]
    public async Task SetUp()
    {
        await PluginFixtures.EnsureBuiltAsync();
        _host = new PluginHarness();
        _folder = _host.AddProbe("p", ProbeManifest.Create("test.p"));
        _store = new InMemoryKeyValueStore();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<IPluginTrustCatalog>(new SecretStorePluginTrustCatalog(() => _store, TimeProvider.System));
        _app = builder.Build();
        PluginTrustEndpoints.Map(_app);
        await _app.StartAsync();
        _url = _app.Urls.First();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        await _host.DisposeAsync();
    }

    private async Task<(int Code, string Out, string Error)> CliAsync(string trust, string? keys, params string[] args)
    {
        var config = new TestConfigSource().Set("PLUGINS_DIR", _host.PluginsDir).Set("LYNDRIX_PLUGIN_TRUST", trust);
        if (keys is not null)
        {
            config.Set("LYNDRIX_PLUGIN_TRUSTED_KEYS", keys);
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await LyndrixCli.RunAsync(args, new CliContext(TextReader.Null, output, error, config, _host.Root));
        return (code, output.ToString(), error.ToString());
    }

    private Task<(int Code, string Out, string Error)> Pinned(params string[] args) =>
        CliAsync("pinned", null, [.. args, "--url", _url, "--token", "admin-token"]);

    [Test]
    public async Task Trust_pins_the_folder_verify_follows_the_pin_and_untrust_removes_it()
    {
        var (code, _, error) = await Pinned("plugins", "verify", _folder);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("is not pinned"));

        (code, var output, error) = await Pinned("plugins", "trust", _folder);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("Pinned test.p 1.0.0"));
        Assert.That((await _store.ReadAsync("core/plugin-trust/test.p", CancellationToken.None)).State, Is.EqualTo(Lyndrix.Core.Secrets.KvReadState.Found));

        (code, output, error) = await Pinned("plugins", "verify", _folder);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("trusted (pinned)"));

        File.AppendAllText(Path.Combine(_folder, "Probe.deps.json"), "\n");
        (code, _, error) = await Pinned("plugins", "verify", _folder);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("'Probe.deps.json' has changed"));

        (code, output, _) = await Pinned("plugins", "untrust", "test.p");
        Assert.That((code, output.Contains("Removed the pin", StringComparison.Ordinal)), Is.EqualTo((0, true)), output);
        (code, output, _) = await Pinned("plugins", "untrust", "test.p");
        Assert.That((code, output.Contains("was not pinned", StringComparison.Ordinal)), Is.EqualTo((1, true)), output);
    }

    [Test]
    public async Task Verify_without_a_token_says_the_pin_cannot_be_read()
    {
        var (code, _, error) = await CliAsync("pinned", null, "plugins", "verify", _folder);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("no token was given"));
    }

    [Test]
    public async Task Sign_writes_a_signature_that_verify_accepts_with_the_matching_public_key_only()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var privatePem = Path.Combine(_host.Root, "signing.pem");
        File.WriteAllText(privatePem, key.ExportECPrivateKeyPem());
        var publicPem = Path.Combine(_host.Root, "signing.pub.pem");
        File.WriteAllText(publicPem, key.ExportSubjectPublicKeyInfoPem());
        var otherPem = Path.Combine(_host.Root, "other.pub.pem");
        File.WriteAllText(otherPem, other.ExportSubjectPublicKeyInfoPem());

        var (code, output, error) = await CliAsync("signed", publicPem, "plugins", "sign", _folder, "--key", privatePem);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("key " + PluginSignature.KeyIdOf(key)));
        Assert.That(File.Exists(Path.Combine(_folder, PluginSignature.FileName)), Is.True);

        (code, output, error) = await CliAsync("signed", publicPem, "plugins", "verify", _folder);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("trusted (signed:" + PluginSignature.KeyIdOf(key)));

        (code, _, error) = await CliAsync("signed", otherPem, "plugins", "verify", _folder);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("which is not among LYNDRIX_PLUGIN_TRUSTED_KEYS"));
    }

    [Test]
    public async Task Sign_refuses_a_key_that_is_not_ECDSA_P256_and_says_how_to_make_one()
    {
        using var rsa = RSA.Create(2048);
        var pem = Path.Combine(_host.Root, "rsa.pem");
        File.WriteAllText(pem, rsa.ExportPkcs8PrivateKeyPem());
        var (code, _, error) = await CliAsync("signed", null, "plugins", "sign", _folder, "--key", pem);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("not a usable ECDSA P-256 private key").And.Contain("openssl ecparam -name prime256v1"));
        Assert.That(File.Exists(Path.Combine(_folder, PluginSignature.FileName)), Is.False, "nothing written");
    }

    [Test]
    public async Task Signed_trust_without_trusted_keys_is_a_configuration_error()
    {
        var (code, _, error) = await CliAsync("signed", null, "plugins", "verify", _folder);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("LYNDRIX_PLUGIN_TRUSTED_KEYS names no public key"));
    }
}
