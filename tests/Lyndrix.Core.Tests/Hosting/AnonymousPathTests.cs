using System.Net.Http.Json;
using Lyndrix.Core.Tests.Secrets.Embedded;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Hosting;

/// <summary>What anonymous callers can read (<c>/api/boot</c>, <c>/api/vault/status</c>, init/unseal refusals) names no
/// filesystem path of the host.</summary>
public class AnonymousPathTests
{
    [Test]
    public async Task Refusals_and_status_pages_name_settings_instead_of_paths()
    {
        using var dir = new TempDirectory("lyndrix-paths");
        var env = SecretTestSettings.HostEnvironment(dir.Path, masterKey: null);
        await using var host = await HostHarness.StartAsync(env);
        await host.WaitForStatusAsync(s => s.GetProperty("ui_state").GetString() == "needs_init", "needs_init");
        // An old key file is in the way (beside its store, so the embedded store's files belong together): the refusal says
        // where, without the path.
        (await EmbeddedStores.OpenAsync(env["SECURITY_DIR"])).Backend.Dispose();
        await File.WriteAllBytesAsync(Path.Combine(env["SECURITY_DIR"], "vault_keys.enc"), new byte[64]);

        var unseal = await host.Http.PostAsJsonAsync("api/vault/unseal", new { key = "a-perfectly-fine-master-key" });
        Assert.That((int)unseal.StatusCode, Is.EqualTo(202), await unseal.Content.ReadAsStringAsync());
        var failed = await host.WaitForStatusAsync(s => s.GetProperty("last_failure").ValueKind == System.Text.Json.JsonValueKind.Object, "a failed unseal");
        var boot = await host.Http.GetStringAsync("api/boot");
        Assert.That(failed.ToString(), Does.Contain("SECURITY_DIR/vault_keys.enc"));
        foreach (var text in new[] { failed.ToString(), boot })
        {
            Assert.That(text, Does.Not.Contain(dir.Path).And.Not.Contain(Path.GetTempPath()));
        }
    }
}
