using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>The ACL engine of the double, observed over HTTP (reference §6, §10.4).</summary>
public sealed class VaultDoubleAclTests
{
    private const string Denied = "1 error occurred:\n\t* permission denied\n\n";

    private VaultDoubleServer _vault = null!;
    private RawVault _raw = null!;

    [SetUp]
    public async Task SetUp()
    {
        _vault = await VaultDoubleServer.StartAsync();
        _raw = new RawVault(_vault.BaseAddress) { Token = _vault.InitializeAndUnseal().RootToken };
        _vault.EnableKv("secret");
        foreach (var key in new[] { "exact", "exact2", "app", "app/x", "a/config", "a/b/config", "open", "locked", "u" })
        {
            _vault.WriteKv("secret", key, new Dictionary<string, string> { ["k"] = "v" });
        }
    }

    [TearDown]
    public async Task TearDown()
    {
        _raw.Dispose();
        await _vault.DisposeAsync();
    }

    private string TokenWith(string hcl)
    {
        var name = "p" + Guid.NewGuid().ToString("N")[..8];
        _vault.PutPolicy(name, hcl);
        return _vault.CreateToken([name]);
    }

    private async Task<int> ReadStatus(string token, string key) => (await _raw.GetAsync("secret/data/" + key, token)).Status;

    [Test]
    public async Task An_exact_rule_matches_only_its_path()
    {
        var token = TokenWith("""path "secret/data/exact" { capabilities = ["read"] }""");
        Assert.That(await ReadStatus(token, "exact"), Is.EqualTo(200));
        Assert.That(await ReadStatus(token, "exact2"), Is.EqualTo(403));
    }

    [Test]
    public async Task A_trailing_star_is_a_prefix_match_that_includes_the_folder_itself_but_not_its_bare_name()
    {
        var token = TokenWith("""
            path "secret/data/app/*" { capabilities = ["read"] }
            path "secret/metadata/app/*" { capabilities = ["list"] }
            """);
        Assert.That(await ReadStatus(token, "app/x"), Is.EqualTo(200));
        Assert.That(await ReadStatus(token, "app"), Is.EqualTo(403));
        Assert.That((await _raw.SendAsync("LIST", "secret/metadata/app", token: token)).Status, Is.EqualTo(200));
    }

    [Test]
    public async Task A_plus_matches_exactly_one_segment()
    {
        var token = TokenWith("""path "secret/data/+/config" { capabilities = ["read"] }""");
        Assert.That(await ReadStatus(token, "a/config"), Is.EqualTo(200));
        Assert.That(await ReadStatus(token, "a/b/config"), Is.EqualTo(403));
    }

    [Test]
    public async Task The_most_specific_rule_decides()
    {
        var token = TokenWith("""
            path "secret/data/*" { capabilities = ["deny"] }
            path "secret/data/open" { capabilities = ["read"] }
            """);
        Assert.That(await ReadStatus(token, "open"), Is.EqualTo(200));
        Assert.That(await ReadStatus(token, "locked"), Is.EqualTo(403));
    }

    [Test]
    public async Task Identical_patterns_across_policies_are_unioned_and_a_deny_among_them_wins()
    {
        _vault.PutPolicy("read-u", """path "secret/data/u" { capabilities = ["read"] }""");
        _vault.PutPolicy("write-u", """path "secret/data/u" { capabilities = ["update"] }""");
        _vault.PutPolicy("deny-u", """path "secret/data/u" { capabilities = ["deny"] }""");
        var union = _vault.CreateToken(["read-u", "write-u"]);
        Assert.That(await ReadStatus(union, "u"), Is.EqualTo(200));
        Assert.That((await _raw.PostAsync("secret/data/u", """{"data":{"k":"w"}}""", union)).Status, Is.EqualTo(200));

        var denied = _vault.CreateToken(["read-u", "write-u", "deny-u"]);
        Assert.That(await ReadStatus(denied, "u"), Is.EqualTo(403));
    }

    [Test]
    public async Task A_denied_missing_key_is_403_while_an_allowed_missing_key_is_404()
    {
        var token = TokenWith("""path "secret/data/mine/*" { capabilities = ["read"] }""");
        var other = await _raw.GetAsync("secret/data/theirs/nothing", token);
        var own = await _raw.GetAsync("secret/data/mine/nothing", token);
        Assert.That((other.Status, other.Errors), Is.EqualTo((403, new[] { Denied })));
        Assert.That((own.Status, own.Body), Is.EqualTo((404, """{"errors":[]}""")));
    }

    [Test]
    public async Task Create_and_update_are_told_apart_by_whether_the_key_exists()
    {
        var createOnly = TokenWith("""path "secret/data/c/*" { capabilities = ["create"] }""");
        Assert.That((await _raw.PostAsync("secret/data/c/new", """{"data":{"a":"1"}}""", createOnly)).Status, Is.EqualTo(200));
        Assert.That((await _raw.PostAsync("secret/data/c/new", """{"data":{"a":"2"}}""", createOnly)).Status, Is.EqualTo(403));

        var updateOnly = TokenWith("""path "secret/data/c/*" { capabilities = ["update"] }""");
        Assert.That((await _raw.PostAsync("secret/data/c/other", """{"data":{"a":"1"}}""", updateOnly)).Status, Is.EqualTo(403));
        Assert.That((await _raw.PostAsync("secret/data/c/new", """{"data":{"a":"3"}}""", updateOnly)).Status, Is.EqualTo(200));
    }

    [Test]
    public async Task Patch_needs_the_patch_capability()
    {
        var token = TokenWith("""path "secret/data/*" { capabilities = ["read", "update"] }""");
        var reply = await _raw.SendAsync("PATCH", "secret/data/u", """{"data":{"k":"p"}}""", token, "application/merge-patch+json");
        Assert.That(reply.Status, Is.EqualTo(403));
    }

    [Test]
    public async Task Root_protected_paths_need_sudo()
    {
        var token = TokenWith("""path "sys/auth/*" { capabilities = ["create", "update"] }""");
        Assert.That((await _raw.PostAsync("sys/auth/approle", """{"type":"approle"}""", token)).Status, Is.EqualTo(403));
        var sudo = TokenWith("""path "sys/auth/*" { capabilities = ["create", "update", "sudo"] }""");
        Assert.That((await _raw.PostAsync("sys/auth/approle", """{"type":"approle"}""", sudo)).Status, Is.EqualTo(204));
    }

    [Test]
    public async Task The_ui_mount_probe_works_for_any_access_under_the_mount_and_hides_missing_mounts()
    {
        var token = TokenWith("""path "secret/data/app/*" { capabilities = ["read"] }""");
        var ok = await _raw.GetAsync("sys/internal/ui/mounts/secret", token);
        Assert.That(ok.Status, Is.EqualTo(200));
        Assert.That(ok.Data!["path"]!.ToString(), Is.EqualTo("secret/"));
        Assert.That(ok.Data!["options"]!["version"]!.ToString(), Is.EqualTo("2"));
        Assert.That(ok.Data!["type"]!.ToString(), Is.EqualTo("kv"));

        var missing = await _raw.GetAsync("sys/internal/ui/mounts/nope/deeper", token);
        var noAccess = await _raw.GetAsync("sys/internal/ui/mounts/secret", TokenWith("""path "secret/data/x" { capabilities = ["deny"] }"""));
        Assert.That((missing.Status, missing.Errors), Is.EqualTo((403,
            new[] { "preflight capability check returned 403, please ensure client's policies grant access to path \"nope/deeper/\"" })));
        Assert.That(noAccess.Status, Is.EqualTo(403));
        Assert.That((await _raw.GetAsync("sys/mounts", token)).Status, Is.EqualTo(403), "a scoped token may not list sys/mounts");
    }

    [Test]
    public async Task Policies_can_be_written_read_listed_and_deleted_but_root_and_default_are_protected()
    {
        const string Hcl = """
            # comment
            path "secret/data/*" {
              capabilities = ["read", "list"] // trailing comment
            }
            """;
        Assert.That((await _raw.PostAsync("sys/policies/acl/Reader", $$"""{"policy":{{System.Text.Json.JsonSerializer.Serialize(Hcl)}}}""")).Status, Is.EqualTo(204));
        var read = await _raw.GetAsync("sys/policies/acl/reader");
        Assert.That(read.Data!["name"]!.ToString(), Is.EqualTo("reader"));
        Assert.That(read.Data!["policy"]!.ToString(), Is.EqualTo(Hcl));
        Assert.That((await _raw.SendAsync("LIST", "sys/policies/acl")).Data!["keys"]!.ToJsonString(), Is.EqualTo("""["default","reader","root"]"""));
        Assert.That((await _raw.GetAsync("sys/policies/acl/missing")).Status, Is.EqualTo(404));
        Assert.That((await _raw.PostAsync("sys/policies/acl/bad", """{"policy":"path \"x\" { capabilities = [\"fly\"] }"}""")).Errors.Single(),
            Does.Contain("invalid capability \"fly\""));
        Assert.That((await _raw.PostAsync("sys/policies/acl/bad", """{"policy":"nonsense"}""")).Status, Is.EqualTo(400));
        Assert.That((await _raw.SendAsync("DELETE", "sys/policies/acl/default")).Errors, Is.EqualTo(new[] { "cannot delete \"default\" policy" }));
        Assert.That((await _raw.PostAsync("sys/policies/acl/root", """{"policy":"path \"x\" { capabilities = [\"read\"] }"}""")).Errors,
            Is.EqualTo(new[] { "cannot update \"root\" policy" }));
        Assert.That((await _raw.SendAsync("DELETE", "sys/policies/acl/reader")).Status, Is.EqualTo(204));
        Assert.That((await _raw.GetAsync("sys/policies/acl/reader")).Status, Is.EqualTo(404));
    }

    [Test]
    public async Task The_default_policy_lets_every_token_look_itself_up_and_renew()
    {
        var token = TokenWith("""path "secret/data/nothing" { capabilities = ["read"] }""");
        Assert.That((await _raw.GetAsync("auth/token/lookup-self", token)).Status, Is.EqualTo(200));
        Assert.That((await _raw.PostAsync("auth/token/renew-self", "{}", token)).Status, Is.EqualTo(200));
        Assert.That((await _raw.PostAsync("auth/token/create", "{}", token)).Status, Is.EqualTo(403));
    }
}
