using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>Fault injection and the redacted request log of the double (reference §10.9, §10.10).</summary>
public sealed class VaultDoubleFaultTests
{
    private VaultDoubleServer _vault = null!;
    private RawVault _raw = null!;
    private string _root = null!;

    [SetUp]
    public async Task SetUp()
    {
        _vault = await VaultDoubleServer.StartAsync();
        _root = _vault.InitializeAndUnseal().RootToken;
        _raw = new RawVault(_vault.BaseAddress) { Token = _root };
    }

    [TearDown]
    public async Task TearDown()
    {
        _raw.Dispose();
        await _vault.DisposeAsync();
    }

    [Test]
    public async Task A_status_fault_answers_once_with_its_code_and_retry_after_then_the_path_serves_again()
    {
        _vault.Faults.Add(VaultFault.Status(429, retryAfter: "3"), pathPrefix: "sys/seal-status");
        var throttled = await _raw.GetAsync("sys/seal-status");
        Assert.That((throttled.Status, throttled.RetryAfter, throttled.Errors.Single()), Is.EqualTo((429, "3", "rate limit quota exceeded")));
        Assert.That((await _raw.GetAsync("sys/seal-status")).Status, Is.EqualTo(200));
        Assert.That(_vault.Faults.Pending, Is.Zero);
    }

    [Test]
    public async Task Faults_can_be_limited_to_a_method()
    {
        _vault.Faults.Add(VaultFault.Status(502), times: 5, method: "POST");
        Assert.That((await _raw.GetAsync("sys/seal-status")).Status, Is.EqualTo(200));
        Assert.That((await _raw.SendAsync("POST", "sys/seal-status")).Status, Is.EqualTo(502));
    }

    [Test]
    public async Task A_drop_fault_aborts_the_connection_without_an_answer()
    {
        _vault.Faults.Add(VaultFault.Drop());
        Assert.ThrowsAsync<HttpRequestException>(() => _raw.GetAsync("sys/seal-status"));
        Assert.That(_vault.Requests.All.Single().StatusCode, Is.Zero);
    }

    [Test]
    public async Task A_redirect_fault_points_to_the_same_path_and_query_on_the_target()
    {
        await using var active = await _vault.StartPeerAsync("active");
        _vault.Faults.Add(VaultFault.Redirect(active.BaseAddress));
        var reply = await _raw.GetAsync("sys/health?standbyok=true");
        Assert.That(reply.Status, Is.EqualTo(307));
        Assert.That(reply.Location, Is.EqualTo(new Uri(active.BaseAddress, "v1/sys/health?standbyok=true")));
    }

    [Test]
    public async Task A_peer_shares_the_cluster_state_but_has_its_own_log()
    {
        await using var peer = await _vault.StartPeerAsync("peer");
        using var peerRaw = new RawVault(peer.BaseAddress) { Token = _root };
        Assert.That((await peerRaw.GetAsync("auth/token/lookup-self")).Status, Is.EqualTo(200));
        _vault.Seal();
        Assert.That((await peerRaw.GetAsync("auth/token/lookup-self")).Status, Is.EqualTo(503));
        Assert.That(peer.Requests.Count, Is.EqualTo(2));
        Assert.That(_vault.Requests.Count, Is.Zero);
    }

    [Test]
    public async Task A_seal_fault_seals_the_cluster_mid_test()
    {
        _vault.Faults.Add(VaultFault.Seal(), pathPrefix: "auth/token/lookup-self");
        var reply = await _raw.GetAsync("auth/token/lookup-self");
        Assert.That((reply.Status, reply.Errors.Single()), Is.EqualTo((503, "Vault is sealed")));
        Assert.That(_vault.IsSealed, Is.True);
    }

    [Test]
    public async Task A_latency_fault_delays_then_answers_normally()
    {
        _vault.Faults.Add(VaultFault.Latency(TimeSpan.FromMilliseconds(300)));
        var started = TimeProvider.System.GetTimestamp();
        var reply = await _raw.GetAsync("sys/seal-status");
        Assert.That(reply.Status, Is.EqualTo(200));
        Assert.That(TimeProvider.System.GetElapsedTime(started), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)));
    }

    [Test]
    public async Task The_request_log_keeps_the_wire_form_with_token_values_redacted()
    {
        await _raw.SendAsync("PUT", "sys/unseal", """{"key":"00ff"}""");
        await _raw.SendAsync("GET", "auth/token/lookup-self?x=1", bearer: true);

        var unseal = _vault.Requests.All[0];
        var lookup = _vault.Requests.All[1];
        Assert.Multiple(() =>
        {
            Assert.That(unseal.Method, Is.EqualTo("PUT"));
            Assert.That(unseal.Path, Is.EqualTo("/v1/sys/unseal"));
            Assert.That(unseal.Body, Is.EqualTo("""{"key":"[redacted]"}"""));
            Assert.That(unseal.Header("X-Vault-Token"), Is.EqualTo("[redacted]"));
            Assert.That(unseal.Header("X-Vault-Request"), Is.EqualTo("true"));
            Assert.That(unseal.TokenFingerprint, Is.EqualTo(LoggedRequest.FingerprintOf(_root)));
            Assert.That(lookup.Query, Is.EqualTo("?x=1"));
            Assert.That(lookup.Header("Authorization"), Is.EqualTo("Bearer [redacted]"));
            Assert.That(lookup.StatusCode, Is.EqualTo(200));
            Assert.That(string.Join("\n", _vault.Requests.All.SelectMany(r => r.Headers.Values.Append(r.Body))), Does.Not.Contain(_root));
        });
    }
}
