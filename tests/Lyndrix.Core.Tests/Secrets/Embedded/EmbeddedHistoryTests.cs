using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.Core.Tests.Secrets.Embedded;

/// <summary>KV v2 history of the embedded store: versions, the max_versions window, delete/undelete/destroy, metadata.</summary>
public class EmbeddedHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 8, 0, 0, TimeSpan.Zero);

    private TempDirectory _dir = null!;
    private FakeTimeProvider _time = null!;
    private EmbeddedSecretBackend _backend = null!;

    private IKeyValueStore Kv => _backend.Store;

    private IKeyValueHistory History => _backend.History;

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory("lyndrix-history");
        _time = new FakeTimeProvider(Start);
        (_backend, _) = await EmbeddedStores.OpenAsync(_dir.Path, _time, defaultMaxVersions: 4);
    }

    [TearDown]
    public void TearDown()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    private async Task<int> WriteAsync(string path, string value)
    {
        _time.Advance(TimeSpan.FromMinutes(1));
        return await Kv.WriteAsync(path, new Dictionary<string, string> { ["v"] = value }, null, CancellationToken.None);
    }

    [Test]
    public async Task Older_versions_stay_readable_and_the_metadata_lists_each_with_its_time()
    {
        for (var i = 1; i <= 3; i++)
        {
            await WriteAsync("plugins/a", $"value {i}");
        }

        var v1 = await History.ReadVersionAsync("plugins/a", 1, CancellationToken.None);
        var v2 = await History.ReadVersionAsync("plugins/a", 2, CancellationToken.None);
        var latest = await Kv.ReadAsync("plugins/a", CancellationToken.None);
        var never = await History.ReadVersionAsync("plugins/a", 9, CancellationToken.None);
        var meta = await History.ReadMetadataAsync("plugins/a", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That((v1.Version, v1.Data!["v"]), Is.EqualTo((1, "value 1")));
            Assert.That((v2.Version, v2.Data!["v"]), Is.EqualTo((2, "value 2")));
            Assert.That((latest.Version, latest.Data!["v"]), Is.EqualTo((3, "value 3")));
            Assert.That(never, Is.EqualTo(KvReadResult.NotFound));
            Assert.That(meta!.CurrentVersion, Is.EqualTo(3));
            Assert.That(meta.OldestVersion, Is.EqualTo(1));
            Assert.That(meta.CreatedTime, Is.EqualTo(Start.AddMinutes(1)));
            Assert.That(meta.UpdatedTime, Is.EqualTo(Start.AddMinutes(3)));
            Assert.That(meta.Versions.Select(v => (v.Version, v.CreatedTime)),
                Is.EqualTo(new[] { (1, (DateTimeOffset?)Start.AddMinutes(1)), (2, Start.AddMinutes(2)), (3, Start.AddMinutes(3)) }));
        });
    }

    [Test]
    public async Task Versions_beyond_max_versions_are_pruned_for_good()
    {
        for (var i = 1; i <= 6; i++)
        {
            await WriteAsync("plugins/a", $"value {i}");
        }

        var meta = await History.ReadMetadataAsync("plugins/a", CancellationToken.None);
        var pruned = await History.ReadVersionAsync("plugins/a", 2, CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(meta!.Versions.Select(v => v.Version), Is.EqualTo(new[] { 3, 4, 5, 6 }), "the store default here is 4");
            Assert.That(meta.OldestVersion, Is.EqualTo(3));
            Assert.That(meta.CurrentVersion, Is.EqualTo(6));
            Assert.That(pruned, Is.EqualTo(KvReadResult.NotFound));
            Assert.That(await RawRowCountAsync("plugins/a"), Is.EqualTo(4), "pruned rows are gone from the file");
        });
    }

    [Test]
    public async Task A_secret_can_keep_fewer_or_more_versions_than_the_default()
    {
        await History.SetMaxVersionsAsync("plugins/few", 2, CancellationToken.None);
        await History.SetMaxVersionsAsync("plugins/many", 7, CancellationToken.None);
        for (var i = 1; i <= 8; i++)
        {
            await WriteAsync("plugins/few", $"{i}");
            await WriteAsync("plugins/many", $"{i}");
        }

        var few = await History.ReadMetadataAsync("plugins/few", CancellationToken.None);
        var many = await History.ReadMetadataAsync("plugins/many", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(few!.Versions.Select(v => v.Version), Is.EqualTo(new[] { 7, 8 }));
            Assert.That(few.MaxVersions, Is.EqualTo(2));
            Assert.That(many!.Versions.Select(v => v.Version), Is.EqualTo(new[] { 2, 3, 4, 5, 6, 7, 8 }));
        });
    }

    [Test]
    public async Task Soft_delete_hides_a_version_and_undelete_brings_it_back()
    {
        await WriteAsync("plugins/a", "one");
        await WriteAsync("plugins/a", "two");
        _time.Advance(TimeSpan.FromMinutes(5));
        await History.DeleteVersionsAsync("plugins/a", [2], CancellationToken.None);
        var deletedLatest = await Kv.ReadAsync("plugins/a", CancellationToken.None);
        var older = await History.ReadVersionAsync("plugins/a", 1, CancellationToken.None);
        var meta = await History.ReadMetadataAsync("plugins/a", CancellationToken.None);
        await History.UndeleteVersionsAsync("plugins/a", [2], CancellationToken.None);
        var restored = await Kv.ReadAsync("plugins/a", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(deletedLatest, Is.EqualTo(new KvReadResult(KvReadState.SoftDeleted, null, 2)));
            Assert.That(older.Data!["v"], Is.EqualTo("one"));
            Assert.That(meta!.Versions[1].DeletionTime, Is.EqualTo(Start.AddMinutes(7)));
            Assert.That(meta.Versions[0].IsDeleted, Is.False);
            Assert.That((restored.State, restored.Data!["v"]), Is.EqualTo((KvReadState.Found, "two")));
        });
    }

    [Test]
    public async Task Destroy_removes_the_data_for_good_and_undelete_cannot_revive_it()
    {
        await WriteAsync("plugins/a", "DESTROY-ME-4711");
        await WriteAsync("plugins/a", "kept");
        await History.DestroyVersionsAsync("plugins/a", [1], CancellationToken.None);
        await History.UndeleteVersionsAsync("plugins/a", [1], CancellationToken.None);
        var destroyed = await History.ReadVersionAsync("plugins/a", 1, CancellationToken.None);
        var meta = await History.ReadMetadataAsync("plugins/a", CancellationToken.None);
        _backend.Seal();
        var bytes = string.Concat(Directory.GetFiles(_dir.Path).Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        Assert.Multiple(() =>
        {
            Assert.That(destroyed, Is.EqualTo(new KvReadResult(KvReadState.Destroyed, null, 1)));
            Assert.That(meta!.Versions[0].Destroyed, Is.True);
            Assert.That(meta.Versions[1].Destroyed, Is.False);
            Assert.That(bytes, Does.Not.Contain("DESTROY-ME-4711"), "values are encrypted anyway; this guards the plaintext never being stored");
        });
    }

    [Test]
    public async Task A_destroyed_latest_version_reads_as_destroyed_and_the_next_write_continues_the_numbering()
    {
        await WriteAsync("plugins/a", "one");
        await History.DestroyVersionsAsync("plugins/a", [1], CancellationToken.None);
        var read = await Kv.ReadAsync("plugins/a", CancellationToken.None);
        var stale = Assert.ThrowsAsync<KvCasMismatchException>(() => Kv.WriteAsync("plugins/a", new Dictionary<string, string>(), 0, CancellationToken.None));
        var next = await Kv.WriteAsync("plugins/a", new Dictionary<string, string> { ["v"] = "two" }, 1, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(read.State, Is.EqualTo(KvReadState.Destroyed));
            Assert.That(stale, Is.Not.Null, "cas 0 means create-only; the key exists");
            Assert.That(next, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Deleting_the_metadata_removes_every_version_and_numbering_starts_over()
    {
        await WriteAsync("plugins/a", "one");
        await WriteAsync("plugins/a", "two");
        await Kv.DeleteAsync("plugins/a", CancellationToken.None);
        var meta = await History.ReadMetadataAsync("plugins/a", CancellationToken.None);
        var again = await Kv.WriteAsync("plugins/a", new Dictionary<string, string> { ["v"] = "new" }, 0, CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(meta, Is.Null);
            Assert.That(again, Is.EqualTo(1));
            Assert.That(await RawRowCountAsync("plugins/a"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Version_operations_need_version_numbers_and_ignore_unknown_ones()
    {
        await WriteAsync("plugins/a", "one");
        Assert.Multiple(async () =>
        {
            Assert.ThrowsAsync<ArgumentException>(() => History.DeleteVersionsAsync("plugins/a", [], CancellationToken.None));
            Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => History.ReadVersionAsync("plugins/a", 0, CancellationToken.None));
            Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => History.SetMaxVersionsAsync("plugins/a", -1, CancellationToken.None));
            await History.DestroyVersionsAsync("plugins/a", [42], CancellationToken.None);
            await History.DeleteVersionsAsync("plugins/missing", [1], CancellationToken.None);
            Assert.That((await Kv.ReadAsync("plugins/a", CancellationToken.None)).Data!["v"], Is.EqualTo("one"));
        });
    }

    [Test]
    public async Task Every_change_advances_the_commit_sequence_and_the_rollback_mark_follows()
    {
        var before = _backend.Mark.Read()!.Value.Sequence;
        await WriteAsync("plugins/a", "one");
        await History.DeleteVersionsAsync("plugins/a", [1], CancellationToken.None);
        await History.UndeleteVersionsAsync("plugins/a", [1], CancellationToken.None);
        await History.SetMaxVersionsAsync("plugins/a", 3, CancellationToken.None);
        Assert.ThrowsAsync<KvCasMismatchException>(() => Kv.WriteAsync("plugins/a", new Dictionary<string, string>(), 7, CancellationToken.None));
        var header = EmbeddedStoreDatabase.ReadHeader(_backend.Paths.Database);
        Assert.Multiple(() =>
        {
            Assert.That(header.Sequence, Is.EqualTo(before + 4), "a refused write commits nothing");
            Assert.That(_backend.Mark.Read()!.Value, Is.EqualTo((header.StoreId, header.Sequence)));
        });
    }

    private async Task<long> RawRowCountAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={_backend.Paths.Database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM versions WHERE path = $p";
        command.Parameters.AddWithValue("$p", path);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
