using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Secrets.Embedded;

/// <summary>Imports into the embedded store (what a restore uses): one transaction for many secrets, all or nothing, and each
/// secret stored exactly as a single write stores it.</summary>
public sealed class EmbeddedImportTests
{
    private TempDirectory _dir = null!;
    private EmbeddedSecretBackend _backend = null!;
    private KeyMaterial _material = null!;

    private IKeyValueStore Kv => _backend.Store;

    private IKeyValueTransfer Import => (IKeyValueTransfer)_backend.Store;

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory("lyndrix-import");
        (_backend, _material) = await EmbeddedStores.OpenAsync(_dir.Path, defaultMaxVersions: 4);
        await Kv.WriteAsync("plugins/kept", Fields("kept"), null, CancellationToken.None);
        await Kv.WriteAsync("plugins/old", Fields("old"), null, CancellationToken.None);
    }

    [TearDown]
    public void TearDown()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    private static Dictionary<string, string> Fields(string value) => new() { ["v"] = value };

    private async Task<IReadOnlyList<string>> PathsAsync() => await ((IKeyValueListing)Kv).ListPathsAsync(CancellationToken.None);

    [Test]
    public async Task A_committed_import_lands_every_change_at_once_with_one_sequence_step_and_reopens_with_the_key()
    {
        var sequenceBefore = _backend.Mark.Read()!.Value.Sequence;
        using (var batch = Import.BeginImport())
        {
            for (var i = 0; i < 500; i++)
            {
                batch.Write($"plugins/p{i % 7}/s{i}", Fields($"value {i}"), i == 3 ? 2 : null);
            }

            batch.Write("plugins/kept", Fields("kept, rewritten"), null);
            batch.Delete("plugins/old");

            // Nothing is visible before the commit: another reader still sees the state before the batch.
            using var reader = await EmbeddedStores.ReopenAsync(_dir.Path, _material);
            Assert.That(await ((IKeyValueListing)reader.Store).ListPathsAsync(CancellationToken.None), Is.EqualTo(new[] { "plugins/kept", "plugins/old" }));
            await batch.CommitAsync(CancellationToken.None);
        }

        Assert.That(_backend.Mark.Read()!.Value.Sequence, Is.EqualTo(sequenceBefore + 1), "one commit for the whole batch");
        _backend.Dispose();
        _backend = await EmbeddedStores.ReopenAsync(_dir.Path, _material);
        var kept = await Kv.ReadAsync("plugins/kept", CancellationToken.None);
        var three = await ((IKeyValueHistory)Kv).ReadMetadataAsync("plugins/p3/s3", CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(await PathsAsync(), Has.Count.EqualTo(501).And.Not.Contain("plugins/old"));
            Assert.That((await Kv.ReadAsync("plugins/p2/s499", CancellationToken.None)).Data!["v"], Is.EqualTo("value 499"));
            Assert.That((kept.Version, kept.Data!["v"]), Is.EqualTo((2, "kept, rewritten")), "an import adds a version, as a write does");
            Assert.That(three!.MaxVersions, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task An_import_disposed_without_commit_or_failing_midway_changes_nothing()
    {
        using (var batch = Import.BeginImport())
        {
            batch.Write("plugins/new", Fields("new"), null);
            batch.Delete("plugins/old");
        }

        using (var batch = Import.BeginImport())
        {
            batch.Write("plugins/new", Fields("new"), null);
            Assert.Throws<ArgumentException>(() => batch.Write("plugins/../escape", Fields("x"), null));
        }

        Assert.That(await PathsAsync(), Is.EqualTo(new[] { "plugins/kept", "plugins/old" }));
        Assert.That((await Kv.ReadAsync("plugins/old", CancellationToken.None)).Data!["v"], Is.EqualTo("old"));

        // The store takes single writes again: the batch gave its write lock back.
        Assert.That(await Kv.WriteAsync("plugins/after", Fields("after"), null, CancellationToken.None), Is.EqualTo(1));
    }

    [Test]
    public async Task An_export_reads_every_live_secret_as_single_reads_do_and_leaves_out_deleted_and_destroyed_ones()
    {
        var history = (IKeyValueHistory)Kv;
        await Kv.WriteAsync("plugins/old", Fields("old, v2"), null, CancellationToken.None);
        await history.SetMaxVersionsAsync("plugins/kept", 3, CancellationToken.None);
        await Kv.WriteAsync("plugins/soft", Fields("soft"), null, CancellationToken.None);
        await history.DeleteVersionsAsync("plugins/soft", [1], CancellationToken.None);
        await Kv.WriteAsync("plugins/gone", Fields("gone"), null, CancellationToken.None);
        await history.DestroyVersionsAsync("plugins/gone", [1], CancellationToken.None);
        await history.SetMaxVersionsAsync("plugins/only-metadata", 2, CancellationToken.None);

        var exported = await ((IKeyValueTransfer)Kv).ExportAsync(CancellationToken.None);
        Assert.That(exported.Select(s => s.Path), Is.EqualTo(new[] { "plugins/kept", "plugins/old" }));
        foreach (var secret in exported)
        {
            var read = await Kv.ReadAsync(secret.Path, CancellationToken.None);
            var metadata = await history.ReadMetadataAsync(secret.Path, CancellationToken.None);
            Assert.That((secret.Version, secret.Data), Is.EqualTo((read.Version, read.Data)));
            Assert.That((secret.MaxVersions, secret.CreatedTime, secret.UpdatedTime), Is.EqualTo((metadata!.MaxVersions, metadata.CreatedTime, metadata.UpdatedTime)));
        }

        Assert.That(exported[1].Data["v"], Is.EqualTo("old, v2"));
    }

    [Test]
    public void An_import_on_a_sealed_store_is_refused_like_a_write()
    {
        _backend.Seal();
        Assert.Throws<SecretBackendSealedException>(() => Import.BeginImport());
    }
}
