using Lyndrix.Core.Hosting.Http;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Hosting;

public class FilesystemPathRedactorTests
{
    [Test]
    public void Host_folders_become_their_setting_names_and_other_paths_disappear_but_routes_and_urls_stay()
    {
        using var dir = new TempDirectory();
        var settings = TestSettings.Host(dir.Path, ("SECURITY_DIR", "/srv/lyndrix/security"));
        var redactor = new FilesystemPathRedactor(settings);
        Assert.Multiple(() =>
        {
            Assert.That(redactor.Redact("/srv/lyndrix/security/vault_keys.enc already exists"), Is.EqualTo("SECURITY_DIR/vault_keys.enc already exists"));
            Assert.That(redactor.Redact($"cannot open {dir.Path}/storage/lyndrix.db"), Is.EqualTo("cannot open STORAGE_DIR/lyndrix.db"));
            Assert.That(redactor.Redact("VAULT_CACERT '/etc/ssl/private/ca.pem' is unreadable"), Is.EqualTo("VAULT_CACERT '[path]' is unreadable"));
            Assert.That(redactor.Redact("poll /api/vault/status, then GET https://vault.internal:8200/v1/sys/health"),
                Is.EqualTo("poll /api/vault/status, then GET https://vault.internal:8200/v1/sys/health"));
            Assert.That(redactor.Redact(null), Is.Null);
        });
    }
}
