using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>The double's HTTP layer against reference §0 and §10.1/§10.7.</summary>
public sealed class VaultDoubleRoutingTests
{
    private VaultDoubleServer _vault = null!;
    private RawVault _raw = null!;

    [SetUp]
    public async Task SetUp()
    {
        _vault = await VaultDoubleServer.StartAsync();
        _raw = new RawVault(_vault.BaseAddress) { Token = _vault.InitializeAndUnseal().RootToken };
        _vault.EnableKv("secret");
    }

    [TearDown]
    public async Task TearDown()
    {
        _raw.Dispose();
        await _vault.DisposeAsync();
    }

    [Test]
    public void Listens_on_loopback_with_a_random_port()
    {
        Assert.That(_vault.BaseAddress.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(_vault.BaseAddress.Port, Is.Not.EqualTo(8200).And.GreaterThan(0));
    }

    [Test]
    public async Task LIST_verb_and_get_with_list_true_are_the_same_operation()
    {
        await _raw.PostAsync("secret/data/app/one", """{"data":{"a":"1"}}""");
        await _raw.PostAsync("secret/data/app/sub/two", """{"data":{"a":"2"}}""");

        var viaVerb = await _raw.SendAsync("LIST", "secret/metadata/app");
        var viaQuery = await _raw.GetAsync("secret/metadata/app/?list=true");

        Assert.That(viaVerb.Status, Is.EqualTo(200));
        Assert.That(viaVerb.Data!["keys"]!.ToJsonString(), Is.EqualTo("""["one","sub/"]"""));
        Assert.That(viaQuery.Data!["keys"]!.ToJsonString(), Is.EqualTo(viaVerb.Data!["keys"]!.ToJsonString()));
    }

    [Test]
    public async Task PUT_and_POST_are_synonyms()
    {
        var put = await _raw.SendAsync("PUT", "secret/data/x", """{"data":{"v":"put"}}""");
        var post = await _raw.SendAsync("POST", "secret/data/x", """{"data":{"v":"post"}}""");
        Assert.That((put.Status, post.Status), Is.EqualTo((200, 200)));
        Assert.That(post.Data!["version"]!.GetValue<int>(), Is.EqualTo(2));
    }

    [Test]
    public async Task An_unknown_method_is_405_with_an_empty_error_list()
    {
        var reply = await _raw.SendAsync("TRACE", "secret/data/x");
        Assert.That(reply.Status, Is.EqualTo(405));
        Assert.That(reply.Errors, Is.Empty);
    }

    [Test]
    public async Task An_operation_the_path_does_not_support_is_405_unsupported_operation()
    {
        var reply = await _raw.SendAsync("PATCH", "secret/delete/x", """{"versions":[1]}""", contentType: "application/merge-patch+json");
        Assert.That(reply.Status, Is.EqualTo(405));
        Assert.That(reply.Errors, Is.EqualTo(new[] { "unsupported operation" }));
    }

    [Test]
    public async Task PATCH_without_merge_patch_content_type_is_415_with_vaults_text()
    {
        await _raw.PostAsync("secret/data/x", """{"data":{"a":"1"}}""");
        var reply = await _raw.SendAsync("PATCH", "secret/data/x", """{"data":{"a":"2"}}""", contentType: "application/json");
        Assert.That(reply.Status, Is.EqualTo(415));
        Assert.That(reply.Errors, Is.EqualTo(new[] { "PATCH requires Content-Type of application/merge-patch+json, provided application/json" }));
    }

    [Test]
    public async Task Every_answer_is_no_store_and_json_bodies_say_so()
    {
        var ok = await _raw.GetAsync("sys/seal-status");
        var error = await _raw.GetAsync("secret/data/missing");
        Assert.Multiple(() =>
        {
            Assert.That(ok.CacheControl, Is.EqualTo("no-store"));
            Assert.That(ok.ContentType, Is.EqualTo("application/json"));
            Assert.That(error.CacheControl, Is.EqualTo("no-store"));
            Assert.That(error.Body, Is.EqualTo("""{"errors":[]}"""));
        });
    }

    [Test]
    public async Task A_response_without_data_is_204_with_no_body()
    {
        var reply = await _raw.SendAsync("DELETE", "secret/data/never-written");
        Assert.That(reply.Status, Is.EqualTo(204));
        Assert.That(reply.Body, Is.Empty);
        Assert.That(reply.CacheControl, Is.EqualTo("no-store"));
    }

    [Test]
    public async Task Logical_answers_use_the_standard_envelope_in_vaults_field_order()
    {
        await _raw.PostAsync("secret/data/x", """{"data":{"a":"1"}}""");
        var reply = await _raw.GetAsync("secret/data/x");
        var keys = reply.Object.Select(p => p.Key).ToArray();
        Assert.That(keys, Is.EqualTo(new[] { "request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings", "auth", "mount_type" }));
        Assert.That(Guid.TryParse(reply.Object["request_id"]!.ToString(), out _), Is.True);
        Assert.That(reply.Object["mount_type"]!.ToString(), Is.EqualTo("kv"));
        Assert.That(reply.Object["warnings"], Is.Null);
    }

    [Test]
    public async Task Mount_type_can_be_left_out_like_openbao()
    {
        _vault.Options.IncludeMountType = false;
        await _raw.PostAsync("secret/data/x", """{"data":{"a":"1"}}""");
        var reply = await _raw.GetAsync("secret/data/x");
        Assert.That(reply.Object.ContainsKey("mount_type"), Is.False);
    }

    [Test]
    public async Task An_unmounted_path_is_404_no_handler_for_route()
    {
        var reply = await _raw.GetAsync("nothing/here");
        Assert.That(reply.Status, Is.EqualTo(404));
        Assert.That(reply.Errors, Is.EqualTo(new[] { "no handler for route \"nothing/here\". route entry not found." }));
    }

    [Test]
    public async Task A_path_outside_v1_is_404()
    {
        using var http = new HttpClient { BaseAddress = _vault.BaseAddress };
        using var response = await http.GetAsync("sys/health");
        Assert.That((int)response.StatusCode, Is.EqualTo(404));
    }

    [Test]
    public async Task Malformed_json_is_400()
    {
        var reply = await _raw.SendAsync("POST", "secret/data/x", "{not json");
        Assert.That(reply.Status, Is.EqualTo(400));
        Assert.That(reply.Errors.Single(), Does.StartWith("failed to parse JSON input"));
    }

    [Test]
    public async Task Require_request_header_mode_answers_412_without_X_Vault_Request()
    {
        _vault.RequireRequestHeader = true;
        var without = await _raw.SendAsync("GET", "sys/seal-status", vaultRequestHeader: false);
        var with = await _raw.SendAsync("GET", "sys/seal-status");
        Assert.That(without.Status, Is.EqualTo(412));
        Assert.That(without.Errors, Is.EqualTo(new[] { "missing 'X-Vault-Request' header" }));
        Assert.That(with.Status, Is.EqualTo(200));
    }
}
