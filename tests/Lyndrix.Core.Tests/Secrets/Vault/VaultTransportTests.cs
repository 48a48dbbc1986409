using System.Text.Json.Nodes;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>What the client puts on the wire, redirects and retries (reference §5).</summary>
public sealed class VaultTransportTests
{
    private VaultDoubleServer _vault = null!;
    private CapturingLoggerProvider _logs = null!;
    private readonly List<IAsyncDisposable> _disposables = [];

    [SetUp]
    public async Task SetUp()
    {
        _vault = await VaultDoubleServer.StartAsync(new VaultDoubleOptions { Name = "standby" });
        _logs = new CapturingLoggerProvider();
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var d in _disposables)
        {
            await d.DisposeAsync();
        }

        _disposables.Clear();
        await _vault.DisposeAsync();
    }

    private T Track<T>(T disposable)
        where T : IAsyncDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }

    private async Task<(VaultSecretBackend Backend, string Root)> OpenAsync()
    {
        var (backend, root) = await VaultTestKit.OpenWithRootAsync(_vault, _logs);
        Track(backend);
        _vault.Requests.Clear();
        return (backend, root);
    }

    private VaultSecretBackend Backend(VaultSettings settings) => Track(VaultTestKit.Backend(settings, _logs));

    [Test]
    public async Task Every_request_carries_X_Vault_Request_so_a_guarded_listener_accepts_all_of_them()
    {
        _vault.RequireRequestHeader = true;
        var backend = Backend(VaultTestKit.Settings(_vault.BaseAddress));
        var material = await backend.InitializeAsync(CancellationToken.None);
        await backend.UnsealAsync(material, CancellationToken.None);
        await backend.OpenAsync(material, CancellationToken.None);
        await backend.Store.WriteAsync("core/a", new Dictionary<string, string> { ["k"] = "v" }, 0, CancellationToken.None);
        await backend.Store.ReadAsync("core/a", CancellationToken.None);
        await backend.Client.GetHealthAsync(CancellationToken.None);

        Assert.That(_vault.Requests.Count, Is.GreaterThan(8));
        Assert.That(_vault.Requests.All.Select(r => (r.Header("X-Vault-Request"), r.StatusCode)), Has.All.Matches<(string?, int)>(x => x.Item1 == "true" && x.Item2 != 412));
    }

    [Test]
    public async Task The_namespace_header_is_sent_only_when_configured()
    {
        _vault.Initialize();
        await Backend(VaultTestKit.Settings(_vault.BaseAddress)).GetStatusAsync(CancellationToken.None);
        await Backend(VaultTestKit.Settings(_vault.BaseAddress, ns: "team-a/")).GetStatusAsync(CancellationToken.None);
        Assert.That(_vault.Requests.All.Select(r => r.Header("X-Vault-Namespace")), Is.EqualTo(new[] { null, "team-a/" }));
    }

    [Test]
    public async Task A_configured_namespace_reaches_a_namespaced_vault_and_a_missing_one_is_refused()
    {
        var init = _vault.InitializeAndUnseal();
        _vault.Options.Namespace = "team-a/";
        var material = new KeyMaterial(init.RootToken, init.Keys);

        var inNamespace = Backend(VaultTestKit.Settings(_vault.BaseAddress, ns: "team-a"));
        await inNamespace.OpenAsync(material, CancellationToken.None);
        Assert.That(inNamespace.IsOpen, Is.True);

        var outside = Backend(VaultTestKit.Settings(_vault.BaseAddress));
        Assert.ThrowsAsync<SecretBackendAuthException>(() => outside.OpenAsync(material, CancellationToken.None));
    }

    [Test]
    public async Task The_token_travels_as_X_Vault_Token_never_as_Authorization()
    {
        var (backend, root) = await OpenAsync();
        await backend.Store.ReadAsync("core/x", CancellationToken.None);
        var read = _vault.Requests.All.Single();
        Assert.That(read.TokenFingerprint, Is.EqualTo(LoggedRequest.FingerprintOf(root)));
        Assert.That(read.Header("X-Vault-Token"), Is.EqualTo(LoggedRequest.Redacted));
        Assert.That(read.Header("Authorization"), Is.Null);
    }

    [Test]
    public async Task A_307_is_followed_once_resending_method_body_and_token_to_the_active_node()
    {
        var (backend, root) = await OpenAsync();
        await using var active = await _vault.StartPeerAsync("active");
        _vault.Faults.Add(VaultFault.Redirect(active.BaseAddress), method: "POST");

        var version = await backend.Store.WriteAsync("core/redirected", new Dictionary<string, string> { ["k"] = "v" }, null, CancellationToken.None);

        Assert.That(version, Is.EqualTo(1));
        var atStandby = _vault.Requests.All.Single();
        var atActive = active.Requests.All.Single();
        Assert.Multiple(() =>
        {
            Assert.That(atStandby.StatusCode, Is.EqualTo(307));
            Assert.That((atActive.Method, atActive.Path, atActive.Body), Is.EqualTo((atStandby.Method, atStandby.Path, atStandby.Body)));
            Assert.That(atActive.TokenFingerprint, Is.EqualTo(LoggedRequest.FingerprintOf(root)), "the token must survive the redirect");
            Assert.That(atActive.Header("X-Vault-Request"), Is.EqualTo("true"));
            Assert.That(atActive.StatusCode, Is.EqualTo(200));
        });
    }

    [Test]
    public async Task Only_one_redirect_is_followed()
    {
        var (backend, _) = await OpenAsync();
        await using var other = await _vault.StartPeerAsync("other");
        _vault.Faults.Add(VaultFault.Redirect(other.BaseAddress));
        other.Faults.Add(VaultFault.Redirect(_vault.BaseAddress));
        var e = Assert.ThrowsAsync<SecretBackendUnreachableException>(() => backend.Store.ReadAsync("core/x", CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("redirected GET lyndrix/data/core/x twice").And.Contain("active node"));
        Assert.That(_vault.Requests.Count + other.Requests.Count, Is.EqualTo(2));
    }

    [Test]
    public async Task A_redirect_from_https_to_http_is_refused()
    {
        using var ca = new TestCertificateAuthority();
        var caFile = Path.Combine(TestSettings.TempDirectory(), "ca.pem");
        await File.WriteAllTextAsync(caFile, ca.CertificatePem);
        await using var tls = await VaultDoubleServer.StartAsync(new VaultDoubleOptions { Certificate = ca.IssueServerCertificate(), Name = "tls" });
        await using var plain = await tls.StartPeerAsync("plain");
        tls.Initialize();
        tls.Faults.Add(VaultFault.Redirect(plain.BaseAddress));

        var backend = Backend(VaultTestKit.Settings(tls.BaseAddress, caFile: caFile));
        var e = Assert.ThrowsAsync<SecretBackendUnreachableException>(() => backend.GetStatusAsync(CancellationToken.None));

        Assert.That(e!.Message, Does.Contain("refuses to downgrade from https").And.Contain(plain.BaseAddress.GetLeftPart(UriPartial.Authority)));
        Assert.That(plain.Requests.Count, Is.Zero);
        Assert.That(tls.Requests.Count, Is.EqualTo(1), "a refused redirect is not retried");
    }

    [Test]
    public async Task A_429_is_retried_after_the_servers_Retry_After()
    {
        _vault.Initialize();
        _vault.Faults.Add(VaultFault.Status(429, retryAfter: "1"), pathPrefix: "sys/seal-status");
        var backend = Backend(VaultTestKit.Settings(_vault.BaseAddress, retryWaitMs: 1));
        var started = TimeProvider.System.GetTimestamp();

        var status = await backend.GetStatusAsync(CancellationToken.None);

        Assert.That(status.Initialized, Is.True);
        Assert.That(_vault.Requests.All.Select(r => r.StatusCode), Is.EqualTo(new[] { 429, 200 }));
        Assert.That(TimeProvider.System.GetElapsedTime(started), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(950)),
            "the client waited as long as Retry-After asked, not its own 1 ms backoff");
    }

    [TestCase(412)]
    [TestCase(502)]
    [TestCase(503)]
    [TestCase(504)]
    public async Task Transient_statuses_are_retried_for_reads(int status)
    {
        var (backend, _) = await OpenAsync();
        _vault.Faults.Add(VaultFault.Status(status), times: 2, method: "GET");
        var read = await backend.Store.ReadAsync("core/x", CancellationToken.None);
        Assert.That(read.State, Is.EqualTo(KvReadState.NotFound));
        Assert.That(_vault.Requests.All.Select(r => r.StatusCode), Is.EqualTo(new[] { status, status, 404 }));
    }

    [Test]
    public async Task A_5xx_that_outlasts_the_retries_becomes_unreachable_naming_the_status_and_attempts()
    {
        var (backend, _) = await OpenAsync();
        _vault.Faults.Add(VaultFault.Status(502), times: 3);
        var e = Assert.ThrowsAsync<SecretBackendUnreachableException>(() => backend.Store.ReadAsync("core/x", CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("answered 502 to GET lyndrix/data/core/x (after 3 attempts)").And.Contain("upstream rate limited"));
    }

    [Test]
    public async Task A_5xx_is_not_retried_for_a_write_without_check_and_set_but_is_with_it()
    {
        var (backend, _) = await OpenAsync();
        _vault.Faults.Add(VaultFault.Status(502), times: 1, method: "POST");
        Assert.ThrowsAsync<SecretBackendUnreachableException>(() =>
            backend.Store.WriteAsync("core/w", new Dictionary<string, string> { ["k"] = "v" }, null, CancellationToken.None));
        Assert.That(_vault.Requests.Count, Is.EqualTo(1));

        _vault.Requests.Clear();
        _vault.Faults.Add(VaultFault.Status(502), times: 1, method: "POST");
        var version = await backend.Store.WriteAsync("core/w", new Dictionary<string, string> { ["k"] = "v" }, 0, CancellationToken.None);
        Assert.That(version, Is.EqualTo(1));
        Assert.That(_vault.Requests.All.Select(r => r.StatusCode), Is.EqualTo(new[] { 502, 200 }));
    }

    [TestCase(400)]
    [TestCase(403)]
    [TestCase(404)]
    [TestCase(405)]
    [TestCase(415)]
    [TestCase(500)]
    public async Task Refusals_and_internal_errors_are_never_retried(int status)
    {
        var (backend, _) = await OpenAsync();
        _vault.Faults.Add(VaultFault.Status(status, null, "injected refusal"), times: 5);
        Assert.CatchAsync(() => backend.Client.LookupSelfAsync(CancellationToken.None));
        Assert.That(_vault.Requests.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task A_dropped_connection_is_retried_for_a_read_but_not_for_an_unguarded_write()
    {
        var (backend, _) = await OpenAsync();
        _vault.Faults.Add(VaultFault.Drop(), method: "GET");
        Assert.That((await backend.Store.ReadAsync("core/x", CancellationToken.None)).State, Is.EqualTo(KvReadState.NotFound));
        Assert.That(_vault.Requests.All.Select(r => r.StatusCode), Is.EqualTo(new[] { 0, 404 }));

        _vault.Requests.Clear();
        _vault.Faults.Add(VaultFault.Drop(), method: "POST");
        var e = Assert.ThrowsAsync<SecretBackendUnreachableException>(() =>
            backend.Store.WriteAsync("core/w", new Dictionary<string, string> { ["k"] = "v" }, null, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("connection broke before Vault answered"));
        Assert.That(_vault.Requests.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task A_slow_answer_times_out_per_attempt_and_is_retried()
    {
        _vault.Initialize();
        var backend = Backend(VaultTestKit.Settings(_vault.BaseAddress, timeoutSeconds: 0.3, maxRetries: 1));
        _vault.Faults.Add(VaultFault.Latency(TimeSpan.FromSeconds(2)));
        Assert.That((await backend.GetStatusAsync(CancellationToken.None)).Initialized, Is.True);

        _vault.Faults.Add(VaultFault.Latency(TimeSpan.FromSeconds(2)), times: 2);
        var e = Assert.ThrowsAsync<SecretBackendUnreachableException>(() => backend.GetStatusAsync(CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("no answer within 0.3 s").And.Contain("VAULT_TIMEOUT").And.Contain("after 2 attempts"));
    }

    [Test]
    public void The_transport_refuses_a_client_whose_timeout_would_not_bound_each_attempt()
    {
        // The per-attempt timeout is the HttpClient's; a client without it would wait for ever on a silent Vault.
        var settings = VaultTestKit.Settings(_vault.BaseAddress, timeoutSeconds: 0.3);
        using var unbounded = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };

        Assert.That(() => new VaultTransport(unbounded, settings, new VaultSecretRedactor(), TimeProvider.System, _logs.CreateLogger("t")),
            Throws.ArgumentException.With.Message.Contains("VAULT_TIMEOUT"));
    }

    [Test]
    public async Task A_refused_connection_says_where_it_tried_and_what_to_check()
    {
        var url = _vault.BaseAddress;
        await _vault.DisposeAsync();
        var backend = Backend(VaultTestKit.Settings(url, maxRetries: 1));
        var e = Assert.ThrowsAsync<SecretBackendUnreachableException>(() => backend.GetStatusAsync(CancellationToken.None));
        Assert.That(e!.Message, Does.Contain(url.ToString()).And.Contain("refused").And.Contain("VAULT_URL"));
        _vault = await VaultDoubleServer.StartAsync();
    }

    [Test]
    public async Task A_sealed_vault_is_a_state_not_a_fault_to_hammer()
    {
        var (backend, _) = await OpenAsync();
        _vault.Seal();
        var e = Assert.ThrowsAsync<SecretBackendSealedException>(() => backend.Store.ReadAsync("core/x", CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("is sealed").And.Contain("Unseal"));
        Assert.That(_vault.Requests.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task Tls_with_the_ca_file_works_without_it_fails_clearly_and_skip_verify_accepts_it()
    {
        using var ca = new TestCertificateAuthority();
        var caFile = Path.Combine(TestSettings.TempDirectory(), "ca.pem");
        await File.WriteAllTextAsync(caFile, ca.CertificatePem);
        await using var tls = await VaultDoubleServer.StartAsync(new VaultDoubleOptions { Certificate = ca.IssueServerCertificate() });
        tls.Initialize();

        Assert.That((await Backend(VaultTestKit.Settings(tls.BaseAddress, caFile: caFile)).GetStatusAsync(CancellationToken.None)).Initialized, Is.True);
        Assert.That((await Backend(VaultTestKit.Settings(tls.BaseAddress, skipVerify: true)).GetStatusAsync(CancellationToken.None)).Initialized, Is.True);

        var e = Assert.ThrowsAsync<SecretBackendUnreachableException>(() =>
            Backend(VaultTestKit.Settings(tls.BaseAddress)).GetStatusAsync(CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("TLS handshake failed").And.Contain("VAULT_CACERT"));

        using var otherCa = new TestCertificateAuthority("Some Other CA");
        var otherFile = Path.Combine(TestSettings.TempDirectory(), "other.pem");
        await File.WriteAllTextAsync(otherFile, otherCa.CertificatePem);
        Assert.ThrowsAsync<SecretBackendUnreachableException>(() =>
            Backend(VaultTestKit.Settings(tls.BaseAddress, caFile: otherFile)).GetStatusAsync(CancellationToken.None));
    }

    [Test]
    public async Task A_server_error_that_echoes_the_token_is_scrubbed_before_it_reaches_an_exception()
    {
        var (backend, root) = await OpenAsync();
        _vault.Faults.Add(VaultFault.Status(400, null, "bad request from token {token}"));
        var e = Assert.ThrowsAsync<VaultApiException>(() => backend.Client.LookupSelfAsync(CancellationToken.None));
        Assert.That(e!.Message, Does.Not.Contain(root).And.Contain("bad request from token ***"));
    }

    [Test]
    public async Task Health_codes_are_answers_not_failures()
    {
        var backend = Backend(VaultTestKit.Settings(_vault.BaseAddress));
        Assert.That((await backend.Client.GetHealthAsync(CancellationToken.None)).StatusCode, Is.EqualTo(501));
        _vault.Initialize();
        var sealedHealth = await backend.Client.GetHealthAsync(CancellationToken.None);
        Assert.That((sealedHealth.StatusCode, sealedHealth.Sealed), Is.EqualTo((503, true)));
        _vault.Unseal();
        _vault.Role = HealthRole.Standby;
        var standby = await backend.Client.GetHealthAsync(CancellationToken.None);
        Assert.That((standby.StatusCode, standby.Standby, standby.Version), Is.EqualTo((429, true, "1.17.5")));
        Assert.That(_vault.Requests.Count, Is.EqualTo(3), "health codes are never retried");
    }

    [Test]
    public async Task The_kv_patch_goes_out_as_a_merge_patch()
    {
        var (backend, _) = await OpenAsync();
        await backend.Client.WriteKvAsync("lyndrix", "core/p", new JsonObject { ["a"] = "1" }, null, CancellationToken.None);
        await backend.Client.PatchKvAsync("lyndrix", "core/p", new JsonObject { ["b"] = "2" }, 1, CancellationToken.None);
        var patch = _vault.Requests.All[^1];
        Assert.That((patch.Method, patch.Header("Content-Type"), patch.Body),
            Is.EqualTo(("PATCH", "application/merge-patch+json", """{"options":{"cas":1},"data":{"b":"2"}}""")));
    }
}
