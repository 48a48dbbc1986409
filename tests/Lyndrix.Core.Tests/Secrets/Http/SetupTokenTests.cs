using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Http;

/// <summary>First run outside development: whoever reaches the API first must not choose the master key.</summary>
public class SetupTokenTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-setup");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public async Task The_first_init_needs_the_owner_only_token_whose_path_is_logged_and_which_dies_with_the_init()
    {
        await using var host = await HostHarness.StartAsync(HostEnvironment(_dir.Path, masterKey: null));
        await host.WaitForStatusAsync(s => s.GetProperty("ui_state").GetString() == "needs_init", "needs_init");
        var tokenFile = Path.Combine(_dir.Path, "security", "setup.token");
        Assert.That(File.Exists(tokenFile), Is.True);
        Assert.That(FileModes.Of(tokenFile), Is.EqualTo(FileModes.OwnerOnly));
        var token = (await File.ReadAllTextAsync(tokenFile)).Trim();
        Assert.That(host.Logs.AllText, Does.Contain(tokenFile).And.Not.Contain(token));

        var none = await host.PostKeyAsync("init", MasterKey);
        var wrong = await host.PostKeyAsync("init", MasterKey, token[..^1] + (token[^1] == 'a' ? 'b' : 'a'));
        Assert.That((none.Status, none.Body.GetProperty("code").GetString()), Is.EqualTo((403, "setup_token_required")));
        Assert.That((wrong.Status, wrong.Body.GetProperty("code").GetString()), Is.EqualTo((403, "setup_token_required")));
        Assert.That(none.Body.GetProperty("detail").GetString(), Does.Contain("setup.token").And.Not.Contain(_dir.Path));

        Assert.That((await host.PostKeyAsync("init", MasterKey, token)).Status, Is.EqualTo(202));
        await host.WaitForStatusAsync(s => s.GetProperty("ui_state").GetString() == "ready", "ready");
        await Eventually.True(() => !File.Exists(tokenFile), "the used token is removed");
    }

    [TestCase("dev", null)]
    [TestCase("production", MasterKey)]
    public async Task No_token_when_nobody_has_to_init_by_hand(string envType, string? masterKey)
    {
        await using var host = await HostHarness.StartAsync(HostEnvironment(_dir.Path, masterKey, envType));
        await host.WaitForStatusAsync(s => s.GetProperty("ui_state").GetString() == "ready", "ready", 30);
        Assert.That(File.Exists(Path.Combine(_dir.Path, "security", "setup.token")), Is.False);
    }
}
