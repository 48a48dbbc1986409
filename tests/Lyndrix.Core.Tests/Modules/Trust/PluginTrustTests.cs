using System.Security.Cryptography;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Trust;
using Lyndrix.Core.Tests.Secrets.Support;

namespace Lyndrix.Core.Tests.Modules.Trust;

/// <summary>Trust policy as an attacker with write access to PLUGINS_DIR meets it: nothing of a folder loads unless the
/// operator pinned exactly these files, or a trusted key signed them; links out of the folder and look-alike ids are refused.</summary>
[TestFixture]
public sealed class PluginTrustTests
{
    private PluginHarness _host = null!;
    private SecretStorePluginTrustCatalog _catalog = null!;

    [SetUp]
    public async Task SetUp()
    {
        await PluginFixtures.EnsureBuiltAsync();
        _host = new PluginHarness();
        var store = new InMemoryKeyValueStore();
        _catalog = new SecretStorePluginTrustCatalog(() => store, TimeProvider.System);
    }

    [TearDown]
    public async Task TearDown() => await _host.DisposeAsync();

    private void Trust(PluginTrustMode mode, params ECDsa[] keys) =>
        _host.Trust = new PluginTrustVerifier(new PluginTrustSettings { Mode = mode, TrustedKeys = keys }, _catalog);

    private string AddProbe(string id = "test.p", string folder = "p") => _host.AddProbe(folder, ProbeManifest.Create(id));

    private Task PinAsync(string folder) => _catalog.SetAsync(PluginFolderDigest.Compute(folder, "test.p", "1.0.0"), CancellationToken.None);

    [Test]
    public async Task Pinned_refuses_an_unknown_folder_before_loading_and_loads_it_once_pinned()
    {
        Trust(PluginTrustMode.Pinned);
        var folder = AddProbe();
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var info = _host.Runtime.Get("test.p")!;
        Assert.That(info.State, Is.EqualTo(PluginState.Failed));
        Assert.That(info.Reason, Does.Contain("is not pinned").And.Contain("lyndrix plugins trust"));
        Assert.That((info.Loaded, info.Trust), Is.EqualTo((false, "refused")), "no code was loaded");

        await PinAsync(folder);
        info = await _host.Runtime.EnableAsync("test.p", CancellationToken.None);
        Assert.That((info.State, info.Trust), Is.EqualTo((PluginState.Active, "pinned")), info.Reason);
    }

    [Test]
    public async Task Pinned_refuses_a_folder_with_one_changed_byte_naming_the_file()
    {
        Trust(PluginTrustMode.Pinned);
        var folder = AddProbe();
        await PinAsync(folder);
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(_host.Runtime.Get("test.p")!.State, Is.EqualTo(PluginState.Active));

        // The attacker flips one byte of the dll of a trusted plugin; its next load (reload) refuses it.
        var dll = Path.Combine(folder, "Probe.dll");
        var bytes = File.ReadAllBytes(dll);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(dll, bytes);
        var info = await _host.Runtime.ReloadAsync("test.p", CancellationToken.None);
        Assert.That(info.State, Is.EqualTo(PluginState.Failed));
        Assert.That(info.Reason, Does.Contain("'Probe.dll' has changed since it was pinned"));
    }

    [Test]
    public async Task Pinned_refuses_added_and_removed_files()
    {
        Trust(PluginTrustMode.Pinned);
        var folder = AddProbe();
        await PinAsync(folder);
        File.WriteAllText(Path.Combine(folder, "Extra.dll"), "not pinned");
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(_host.Runtime.Get("test.p")!.Reason, Does.Contain("'Extra.dll' was added"));

        File.Delete(Path.Combine(folder, "Extra.dll"));
        File.Delete(Path.Combine(folder, "Probe.pdb"));
        var info = await _host.Runtime.EnableAsync("test.p", CancellationToken.None);
        Assert.That(info.Reason, Does.Contain("'Probe.pdb' was pinned but is missing"));
    }

    [Test]
    public async Task Signed_loads_a_folder_signed_by_a_trusted_key_and_refuses_unsigned_wrong_key_and_modified()
    {
        using var trusted = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Trust(PluginTrustMode.Signed, trusted);
        var good = AddProbe("test.p", "good");
        PluginSignature.Sign(PluginFolderDigest.Compute(good, "test.p", "1.0.0"), trusted).WriteTo(good);
        var unsigned = AddProbe("test.unsigned", "unsigned");
        var wrongKey = AddProbe("test.wrongkey", "wrongkey");
        PluginSignature.Sign(PluginFolderDigest.Compute(wrongKey, "test.wrongkey", "1.0.0"), stranger).WriteTo(wrongKey);
        var modified = AddProbe("test.modified", "modified");
        PluginSignature.Sign(PluginFolderDigest.Compute(modified, "test.modified", "1.0.0"), trusted).WriteTo(modified);
        File.AppendAllText(Path.Combine(modified, "plugin.json"), " ");

        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.Multiple(() =>
        {
            var ok = _host.Runtime.Get("test.p")!;
            Assert.That((ok.State, ok.Trust), Is.EqualTo((PluginState.Active, "signed:" + PluginSignature.KeyIdOf(trusted))), ok.Reason);
            Assert.That(_host.Runtime.Get("test.unsigned")!.Reason, Does.Contain("is not signed"));
            Assert.That(_host.Runtime.Get("test.wrongkey")!.Reason, Does.Contain($"signed by key {PluginSignature.KeyIdOf(stranger)}, which is not among LYNDRIX_PLUGIN_TRUSTED_KEYS"));
            Assert.That(_host.Runtime.Get("test.modified")!.Reason, Does.Contain("does not match the folder"));
            foreach (var id in new[] { "test.unsigned", "test.wrongkey", "test.modified" })
            {
                Assert.That(_host.Runtime.Get(id)!.Loaded, Is.False, $"{id}: no code loaded");
            }
        });
    }

    [Test]
    public async Task A_forged_signature_file_is_refused()
    {
        using var trusted = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Trust(PluginTrustMode.Signed, trusted);
        var folder = AddProbe();
        // The attacker copies the key id of the trusted key but cannot make its signature.
        var forged = PluginSignature.Sign(PluginFolderDigest.Compute(folder, "test.p", "1.0.0"), trusted) with { Signature = Convert.ToBase64String(new byte[64]) };
        forged.WriteTo(folder);
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(_host.Runtime.Get("test.p")!.Reason, Does.Contain("does not match the folder"));
    }

    [Test]
    public async Task Built_in_modules_are_trusted_by_location_even_when_trust_is_pinned()
    {
        Trust(PluginTrustMode.Pinned);
        _host.AddProbe("core-probe", ProbeManifest.Create("lyndrix.core.probe", type: "CORE"), builtIn: true);
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var info = _host.Runtime.Get("lyndrix.core.probe")!;
        Assert.That((info.State, info.Trust), Is.EqualTo((PluginState.Active, "builtin")), info.Reason);
    }

    [Test]
    public async Task A_plugin_folder_that_is_a_link_to_outside_PLUGINS_DIR_is_refused()
    {
        var outside = Path.Combine(_host.Root, "outside");
        PluginFixtures.CopyDirectory(PluginFixtures.Published("Probe"), outside);
        File.WriteAllText(Path.Combine(outside, "plugin.json"), ProbeManifest.Create("test.p").ToJsonString());
        Directory.CreateSymbolicLink(Path.Combine(_host.PluginsDir, "linked"), outside);
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var info = _host.Runtime.List().Single();
        Assert.That(info.State, Is.EqualTo(PluginState.Degraded));
        Assert.That(info.Reason, Does.Contain("is a link to").And.Contain(outside));
    }

    [TestCase("Probe.dll")]
    [TestCase("plugin.json")]
    public async Task A_file_that_is_a_link_to_outside_its_folder_is_refused(string file)
    {
        var folder = AddProbe();
        var outside = Path.Combine(_host.Root, "elsewhere-" + file);
        File.Move(Path.Combine(folder, file), outside);
        File.CreateSymbolicLink(Path.Combine(folder, file), outside);
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var info = _host.Runtime.List().Single();
        Assert.That(info.State, Is.EqualTo(PluginState.Degraded));
        Assert.That(info.Reason, Does.Contain($"'{file}'").And.Contain("outside the plugin folder"));
    }

    [Test]
    public async Task A_link_inside_the_folder_to_a_file_of_the_folder_is_fine()
    {
        var folder = AddProbe();
        File.CreateSymbolicLink(Path.Combine(folder, "readme-link.json"), Path.Combine(folder, "plugin.json"));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(_host.Runtime.Get("test.p")!.State, Is.EqualTo(PluginState.Active));
    }

    [Test]
    public async Task A_look_alike_folder_with_another_plugins_id_takes_nothing_both_are_refused()
    {
        _host.AddProbe("victim", ProbeManifest.Create("test.victim", new Dictionary<string, string> { ["secret_key"] = "k", ["secret_value"] = "v" }));
        _host.AddProbe("aaa-impostor", ProbeManifest.Create("test.victim"));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var all = _host.Runtime.List();
        Assert.That(all.Select(p => p.State), Is.All.EqualTo(PluginState.Degraded));
        Assert.That(all.Select(p => p.Reason), Has.All.Contain("aaa-impostor"));
        Assert.That(all.Select(p => p.Reason), Has.All.Contain("victim"));
        Assert.That(_host.Secrets.Read("plugins/test.victim"), Is.Empty, "nobody ran as test.victim");
    }
}
