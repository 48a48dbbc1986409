using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>The seal state machine of the double (reference §1, §10.2).</summary>
public sealed class VaultDoubleSealTests
{
    private VaultDoubleServer _vault = null!;
    private RawVault _raw = null!;

    [SetUp]
    public async Task SetUp()
    {
        _vault = await VaultDoubleServer.StartAsync();
        _raw = new RawVault(_vault.BaseAddress);
    }

    [TearDown]
    public async Task TearDown()
    {
        _raw.Dispose();
        await _vault.DisposeAsync();
    }

    [Test]
    public async Task Init_goes_from_uninitialized_to_sealed_and_hands_out_hex_and_base64_keys_and_an_hvs_token()
    {
        Assert.That((await _raw.GetAsync("sys/init")).Body, Is.EqualTo("""{"initialized":false}"""));

        var init = await _raw.SendAsync("PUT", "sys/init", """{"secret_shares":3,"secret_threshold":2}""");

        Assert.That(init.Status, Is.EqualTo(200));
        var keys = init.Object["keys"]!.AsArray().Select(k => k!.ToString()).ToArray();
        var b64 = init.Object["keys_base64"]!.AsArray().Select(k => k!.ToString()).ToArray();
        Assert.That(keys, Has.Length.EqualTo(3));
        Assert.That(Convert.FromBase64String(b64[0]), Is.EqualTo(Convert.FromHexString(keys[0])));
        Assert.That(init.Object["root_token"]!.ToString(), Does.StartWith("hvs."));
        Assert.That((await _raw.GetAsync("sys/init")).Body, Is.EqualTo("""{"initialized":true}"""));
        var status = (await _raw.GetAsync("sys/seal-status")).Object;
        Assert.That((status["sealed"]!.GetValue<bool>(), status["t"]!.GetValue<int>(), status["n"]!.GetValue<int>()), Is.EqualTo((true, 2, 3)));
    }

    [TestCase(0, 0, "invalid seal configuration: shares must be at least one")]
    [TestCase(1, 0, "invalid seal configuration: threshold must be at least one")]
    [TestCase(2, 3, "invalid seal configuration: threshold cannot be larger than shares")]
    [TestCase(3, 1, "invalid seal configuration: threshold must be greater than one for multiple shares")]
    [TestCase(256, 2, "invalid seal configuration: shares must be less than 256")]
    public async Task Bad_seal_configurations_are_400_with_vaults_text(int shares, int threshold, string error)
    {
        var reply = await _raw.SendAsync("PUT", "sys/init", $$"""{"secret_shares":{{shares}},"secret_threshold":{{threshold}}}""");
        Assert.That(reply.Status, Is.EqualTo(400));
        Assert.That(reply.Errors, Is.EqualTo(new[] { error }));
    }

    [Test]
    public async Task Initializing_twice_is_400_already_initialized()
    {
        _vault.Initialize();
        var reply = await _raw.SendAsync("POST", "sys/init", """{"secret_shares":1,"secret_threshold":1}""");
        Assert.That(reply.Errors, Is.EqualTo(new[] { "Vault is already initialized" }));
    }

    [Test]
    public async Task Uninitialized_seal_status_reads_sealed_with_zero_threshold()
    {
        var status = (await _raw.GetAsync("sys/seal-status")).Object;
        Assert.That((status["initialized"]!.GetValue<bool>(), status["sealed"]!.GetValue<bool>(), status["t"]!.GetValue<int>(), status["n"]!.GetValue<int>()),
            Is.EqualTo((false, true, 0, 0)));
        Assert.That(status.ContainsKey("cluster_name"), Is.False);
    }

    [Test]
    public async Task Unseal_counts_progress_to_the_threshold_then_reports_the_full_status()
    {
        var init = _vault.Initialize(shares: 3, threshold: 2);

        var first = (await _raw.SendAsync("PUT", "sys/unseal", $$"""{"key":"{{init.Keys[0]}}"}""")).Object;
        Assert.That((first["sealed"]!.GetValue<bool>(), first["progress"]!.GetValue<int>()), Is.EqualTo((true, 1)));
        Assert.That(first["nonce"]!.ToString(), Is.Not.Empty);

        var again = (await _raw.SendAsync("PUT", "sys/unseal", $$"""{"key":"{{init.Keys[0]}}"}""")).Object;
        Assert.That(again["progress"]!.GetValue<int>(), Is.EqualTo(1), "a share already given does not count twice");

        var base64Key = Convert.ToBase64String(Convert.FromHexString(init.Keys[2]));
        var done = (await _raw.SendAsync("PUT", "sys/unseal", $$"""{"KEY":"{{base64Key}}"}""")).Object;
        Assert.That((done["sealed"]!.GetValue<bool>(), done["progress"]!.GetValue<int>()), Is.EqualTo((false, 0)));
        Assert.That(done["cluster_name"]!.ToString(), Does.StartWith("vault-cluster-"));
        Assert.That(done.Select(p => p.Key), Is.SupersetOf(new[] { "type", "initialized", "t", "n", "nonce", "version", "build_date", "migration", "recovery_seal", "storage_type" }));
    }

    [Test]
    public async Task A_wrong_share_is_only_noticed_at_the_threshold_and_resets_progress()
    {
        var init = _vault.Initialize(shares: 3, threshold: 2);
        await _raw.SendAsync("PUT", "sys/unseal", $$"""{"key":"{{init.Keys[0]}}"}""");
        var wrong = await _raw.SendAsync("PUT", "sys/unseal", $$"""{"key":"{{new string('a', 66)}}"}""");
        Assert.That(wrong.Status, Is.EqualTo(400));
        Assert.That(wrong.Errors, Is.EqualTo(new[] { "cipher: message authentication failed" }));
        Assert.That((await _raw.GetAsync("sys/seal-status")).Object["progress"]!.GetValue<int>(), Is.EqualTo(0));
    }

    [Test]
    public async Task Unseal_errors_have_vaults_exact_text()
    {
        var before = await _raw.SendAsync("PUT", "sys/unseal", """{"key":"abcd"}""");
        Assert.That(before.Errors, Is.EqualTo(new[] { "Vault is not initialized" }));

        _vault.Initialize();
        Assert.That((await _raw.SendAsync("PUT", "sys/unseal", "{}")).Errors,
            Is.EqualTo(new[] { "'key' must be specified in request body as JSON, or 'reset' set to true" }));
        Assert.That((await _raw.SendAsync("PUT", "sys/unseal", """{"key":"not hex or base64!"}""")).Errors,
            Is.EqualTo(new[] { "'key' must be a valid hex or base64 string" }));

        _vault.Unseal();
        Assert.That((await _raw.SendAsync("PUT", "sys/unseal", """{"reset":true}""")).Errors, Is.EqualTo(new[] { "vault is unsealed" }));
    }

    [Test]
    public async Task Reset_wins_over_a_key_and_clears_progress()
    {
        var init = _vault.Initialize(shares: 2, threshold: 2);
        await _raw.SendAsync("PUT", "sys/unseal", $$"""{"key":"{{init.Keys[0]}}"}""");
        var reset = (await _raw.SendAsync("PUT", "sys/unseal", $$"""{"key":"{{init.Keys[1]}}","reset":true}""")).Object;
        Assert.That((reset["sealed"]!.GetValue<bool>(), reset["progress"]!.GetValue<int>()), Is.EqualTo((true, 0)));
    }

    [Test]
    public async Task Unsealing_an_unsealed_node_is_a_no_op_returning_the_status()
    {
        var init = _vault.InitializeAndUnseal();
        var reply = await _raw.SendAsync("PUT", "sys/unseal", $$"""{"key":"{{init.Keys[0]}}"}""");
        Assert.That(reply.Status, Is.EqualTo(200));
        Assert.That(reply.Object["sealed"]!.GetValue<bool>(), Is.False);
    }

    [Test]
    public async Task Logical_paths_answer_503_sealed_before_looking_at_the_token()
    {
        var init = _vault.Initialize();
        var bogus = await _raw.GetAsync("auth/token/lookup-self", token: "hvs.bogus");
        var root = await _raw.GetAsync("auth/token/lookup-self", token: init.RootToken);
        var none = await _raw.GetAsync("secret/data/x");
        Assert.Multiple(() =>
        {
            foreach (var reply in new[] { bogus, root, none })
            {
                Assert.That(reply.Status, Is.EqualTo(503));
                Assert.That(reply.Errors, Is.EqualTo(new[] { "Vault is sealed" }));
            }
        });
    }

    [Test]
    public async Task Sys_seal_needs_root_or_sudo_returns_204_and_is_a_no_op_when_sealed()
    {
        var init = _vault.InitializeAndUnseal();
        _vault.PutPolicy("reader", """path "sys/seal" { capabilities = ["update"] }""");
        var noSudo = _vault.CreateToken(["reader"]);
        Assert.That((await _raw.SendAsync("PUT", "sys/seal", token: noSudo)).Status, Is.EqualTo(403));

        var sealing = await _raw.SendAsync("PUT", "sys/seal", token: init.RootToken);
        Assert.That(sealing.Status, Is.EqualTo(204));
        Assert.That(_vault.IsSealed, Is.True);
        Assert.That((await _raw.SendAsync("PUT", "sys/seal", token: "hvs.whatever")).Status, Is.EqualTo(204));
    }

    [Test]
    public async Task Health_codes_follow_the_state_and_the_body_is_the_same_for_every_code()
    {
        Assert.That((await _raw.GetAsync("sys/health")).Status, Is.EqualTo(501));
        _vault.Initialize();
        var sealedReply = await _raw.GetAsync("sys/health");
        Assert.That(sealedReply.Status, Is.EqualTo(503));
        Assert.That(sealedReply.Object["sealed"]!.GetValue<bool>(), Is.True);
        Assert.That(sealedReply.Object.ContainsKey("cluster_id"), Is.False);

        _vault.Unseal();
        var active = await _raw.GetAsync("sys/health");
        Assert.That(active.Status, Is.EqualTo(200));
        Assert.That(active.Object.Select(p => p.Key), Is.EqualTo(new[]
        {
            "initialized", "sealed", "standby", "performance_standby", "replication_performance_mode", "replication_dr_mode",
            "server_time_utc", "version", "cluster_name", "cluster_id", "enterprise", "echo_duration_ms", "clock_skew_ms",
        }));

        _vault.Role = HealthRole.Standby;
        Assert.That((await _raw.GetAsync("sys/health")).Status, Is.EqualTo(429));
        Assert.That((await _raw.GetAsync("sys/health?standbyok=true")).Status, Is.EqualTo(200));
        _vault.Role = HealthRole.PerformanceStandby;
        Assert.That((await _raw.GetAsync("sys/health?standbyok=true")).Status, Is.EqualTo(473));
        Assert.That((await _raw.GetAsync("sys/health?perfstandbyok=true")).Status, Is.EqualTo(200));
        _vault.Role = HealthRole.DrSecondary;
        Assert.That((await _raw.GetAsync("sys/health")).Status, Is.EqualTo(472));
    }

    [Test]
    public async Task Health_code_overrides_and_head()
    {
        Assert.That((await _raw.GetAsync("sys/health?uninitcode=200")).Status, Is.EqualTo(200));
        _vault.Initialize();
        Assert.That((await _raw.GetAsync("sys/health?sealedcode=299")).Status, Is.EqualTo(299));
        _vault.Unseal();
        Assert.That((await _raw.GetAsync("sys/health?activecode=204")).Status, Is.EqualTo(204));
        var head = await _raw.SendAsync("HEAD", "sys/health");
        Assert.That((head.Status, head.Body), Is.EqualTo((200, "")));
        Assert.That((await _raw.GetAsync("sys/health?activecode=abc")).Status, Is.EqualTo(400));
    }
}
