using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Tests.Secrets.Embedded;
using Lyndrix.Core.Tests.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets;

/// <summary>
/// One KV v2 history scenario run against both backends (the embedded SQLite store and the Vault API double): code above the
/// backend seam must not be able to tell them apart.
/// </summary>
[TestFixture("embedded")]
[TestFixture("vault")]
public class KvHistoryContractTests(string backendKind)
{
    private TempDirectory? _dir;
    private EmbeddedSecretBackend? _embedded;
    private VaultDoubleServer? _vault;
    private VaultSecretBackendHolder? _vaultBackend;
    private IKeyValueStore _kv = null!;
    private IKeyValueHistory _history = null!;

    [SetUp]
    public async Task SetUp()
    {
        if (backendKind == "embedded")
        {
            _dir = new TempDirectory("lyndrix-contract");
            (_embedded, _) = await EmbeddedStores.OpenAsync(_dir.Path);
            (_kv, _history) = (_embedded.Store, _embedded.History);
        }
        else
        {
            _vault = await VaultDoubleServer.StartAsync();
            var logs = new CapturingLoggerProvider();
            var (backend, _) = await VaultTestKit.OpenWithRootAsync(_vault, logs);
            _vaultBackend = new VaultSecretBackendHolder(backend, logs);
            (_kv, _history) = (backend.Store, (IKeyValueHistory)backend.Store);
        }
    }

    [TearDown]
    public async Task TearDown()
    {
        _embedded?.Dispose();
        _dir?.Dispose();
        if (_vaultBackend is not null)
        {
            await _vaultBackend.DisposeAsync();
        }

        if (_vault is not null)
        {
            await _vault.DisposeAsync();
        }
    }

    [Test]
    public async Task History_max_versions_delete_undelete_destroy_and_metadata_behave_the_same()
    {
        var seen = new List<string>();
        const string P = "plugins/contract";
        await _history.SetMaxVersionsAsync(P, 3, CancellationToken.None);
        for (var i = 1; i <= 5; i++)
        {
            seen.Add($"write {await _kv.WriteAsync(P, new Dictionary<string, string> { ["v"] = $"{i}" }, i - 1, CancellationToken.None)}");
        }

        seen.Add(Describe(await _history.ReadMetadataAsync(P, CancellationToken.None)));
        seen.Add(Describe(await _history.ReadVersionAsync(P, 2, CancellationToken.None)));
        seen.Add(Describe(await _history.ReadVersionAsync(P, 4, CancellationToken.None)));
        await _history.DeleteVersionsAsync(P, [5], CancellationToken.None);
        seen.Add(Describe(await _kv.ReadAsync(P, CancellationToken.None)));
        await _history.UndeleteVersionsAsync(P, [5], CancellationToken.None);
        seen.Add(Describe(await _kv.ReadAsync(P, CancellationToken.None)));
        await _history.DestroyVersionsAsync(P, [4], CancellationToken.None);
        seen.Add(Describe(await _history.ReadVersionAsync(P, 4, CancellationToken.None)));
        seen.Add(Describe(await _history.ReadMetadataAsync(P, CancellationToken.None)));
        await _kv.DeleteAsync(P, CancellationToken.None);
        seen.Add(Describe(await _kv.ReadAsync(P, CancellationToken.None)));
        seen.Add(Describe(await _history.ReadMetadataAsync(P, CancellationToken.None)));
        seen.Add($"write {await _kv.WriteAsync(P, new Dictionary<string, string> { ["v"] = "again" }, 0, CancellationToken.None)}");

        Assert.That(seen, Is.EqualTo(new[]
        {
            "write 1", "write 2", "write 3", "write 4", "write 5",
            "meta current=5 oldest=3 max=3 [3 4 5]",
            "NotFound v0",
            "Found v4 4",
            "SoftDeleted v5",
            "Found v5 5",
            "Destroyed v4",
            "meta current=5 oldest=3 max=3 [3 4:destroyed 5]",
            "NotFound v0",
            "no metadata",
            "write 1",
        }));
    }

    private static string Describe(KvReadResult r) => $"{r.State} v{r.Version}{(r.Data is { } d ? " " + d["v"] : "")}";

    private static string Describe(KvMetadata? m) => m is null
        ? "no metadata"
        : $"meta current={m.CurrentVersion} oldest={m.OldestVersion} max={m.MaxVersions} " +
          $"[{string.Join(" ", m.Versions.Select(v => $"{v.Version}{(v.Destroyed ? ":destroyed" : "")}{(v.IsDeleted ? ":deleted" : "")}"))}]";

    private sealed class VaultSecretBackendHolder(Lyndrix.Core.Secrets.Vault.VaultSecretBackend backend, CapturingLoggerProvider logs) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await backend.DisposeAsync();
            logs.Dispose();
        }
    }
}
