using System.Diagnostics;
using Lyndrix.Core.Backup;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Tests.Backup.Support;
using Lyndrix.Core.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Benchmarks;

/// <summary>
/// <c>lyndrix backup</c> on the embedded defaults with 10k secrets and 100k rows:
/// <list type="bullet">
/// <item>create (consistent snapshot of both databases, every secret read at one point and checked again, encryption) vs the raw
/// copy an operator makes with the host stopped: the SQLite database, the embedded store and the key file (online backup API
/// for each database, so the copies are consistent too);</item>
/// <item>restore into an empty deployment (migrations, one database transaction, the 10k secrets imported in one store
/// transaction) vs copying those files back.</item>
/// </list>
/// No target: reported so the cost of the logical format is known. The archive's KDF uses the benchmark's cheap Argon2
/// parameters, as the copy pays no KDF; the default parameters add about 0.3 s to each.
/// </summary>
internal static class BackupBenchmarks
{
    private const int Secrets = 10_000;
    private const int Rows = 100_000;
    private const int Rounds = 3;

    public static async Task RunAsync()
    {
        using var dir = new TempDirectory("lyndrix-bench-backup");
        var source = TestDeployment.Embedded(dir.Path, "source");
        var seed = Stopwatch.StartNew();
        await SeedAsync(source);
        Measure.Note($"seeded {Secrets:N0} secrets and {Rows:N0} rows in {seed.Elapsed.TotalSeconds:0.0} s");

        var service = new BackupService(TextWriter.Null, TimeProvider.System);
        using var steps = new StringWriter();
        var timed = new BackupService(steps, TimeProvider.System);
        byte[] archive = [];
        var create = new List<double>();
        var copy = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            Measure.Settle();
            var start = Stopwatch.GetTimestamp();
            await using (var deployment = await source.OpenAsync(initialize: false))
            {
                (archive, _) = await (round == Rounds - 1 ? timed : service).CreateAsync(deployment, TestDeployment.MasterKey, BackupArchiveCodec.MasterKeySource,
                    CancellationToken.None);
            }

            await File.WriteAllBytesAsync(Path.Combine(dir.Path, $"backup-{round}.lbak"), archive);
            create.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);

            Measure.Settle();
            start = Stopwatch.GetTimestamp();
            RawCopy(source.Root, Path.Combine(dir.Path, $"copy-{round}"));
            copy.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        Measure.Report($"Backup create: {Secrets / 1000}k secrets + {Rows / 1000}k rows vs raw copy", Median(copy), Median(create), double.NaN, "ms");
        Measure.Note($"archive {archive.Length / 1024.0 / 1024.0:0.0} MiB; raw files {RawSize(source.Root) / 1024.0 / 1024.0:0.0} MiB");
        NoteSteps(steps);

        var contents = await BackupService.OpenAsync(archive, TestDeployment.MasterKey, "bench", CancellationToken.None);
        var restore = new List<double>();
        var copyBack = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            var target = TestDeployment.Embedded(dir.Path, $"target-{round}");
            Measure.Settle();
            var start = Stopwatch.GetTimestamp();
            await using (var deployment = await target.OpenAsync())
            {
                await (round == Rounds - 1 ? timed : service).RestoreAsync(deployment, contents, TestDeployment.MasterKey, BackupArchiveCodec.MasterKeySource,
                    new RestoreOptions(), CancellationToken.None);
            }

            restore.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            Measure.Settle();
            start = Stopwatch.GetTimestamp();
            CopyFiles(Path.Combine(dir.Path, "copy-0"), Path.Combine(dir.Path, $"copied-back-{round}"));
            copyBack.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        Measure.Report($"Backup restore into an empty deployment vs copying files back", Median(copyBack), Median(restore), double.NaN, "ms");
        NoteSteps(steps);
        SqliteConnection.ClearAllPools();
    }

    private static async Task SeedAsync(TestDeployment source)
    {
        await source.SeedAsync(secrets: 0, rows: 0);
        await using var deployment = await source.OpenAsync(initialize: false);
        var connection = (SqliteConnection)await deployment.Database.OpenAsync(CancellationToken.None);
        await using (connection)
        {
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO `{TestDeployment.PluginTable}` (`id`, `body`, `score`, `blob`) VALUES ($id, $body, $score, $blob)";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var body = insert.Parameters.Add("$body", SqliteType.Text);
            var score = insert.Parameters.Add("$score", SqliteType.Real);
            var blob = insert.Parameters.Add("$blob", SqliteType.Blob);
            for (var i = 0; i < Rows; i++)
            {
                id.Value = i;
                body.Value = $"note {i}: a line of text of a typical length for a plugin's table, with a number {i * 7919}";
                score.Value = i / 3.0;
                blob.Value = BitConverter.GetBytes((long)i);
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        // Seeded through an import (one transaction); each secret is stored exactly as a single write stores it.
        using var batch = ((IKeyValueTransfer)deployment.Store).BeginImport();
        for (var i = 0; i < Secrets; i++)
        {
            batch.Write($"plugins/bench.p{i % 100}/s{i}", new Dictionary<string, string> { ["key"] = $"value-{i}-{Guid.NewGuid():N}", ["user"] = $"user{i}" }, null);
        }

        await batch.CommitAsync(CancellationToken.None);
    }

    /// <summary>What an operator copies with the host stopped: both SQLite databases (through SQLite's backup API, as a copy of a
    /// database with a write-ahead log must be taken) and the key file.</summary>
    private static void RawCopy(string root, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var (folder, file) in Files(root))
        {
            var from = Path.Combine(root, folder, file);
            var to = Path.Combine(target, file);
            if (file.EndsWith(".db", StringComparison.Ordinal))
            {
                using var source = new SqliteConnection($"Data Source={from};Mode=ReadOnly;Pooling=False");
                using var destination = new SqliteConnection($"Data Source={to};Pooling=False");
                source.Open();
                destination.Open();
                source.BackupDatabase(destination);
            }
            else
            {
                File.Copy(from, to);
            }
        }
    }

    private static void CopyFiles(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static IEnumerable<(string Folder, string File)> Files(string root) =>
    [
        ("storage", "lyndrix.db"),
        ("security", EmbeddedStorePaths.DatabaseFileName),
        ("security", "vault_keys.enc"),
    ];

    private static long RawSize(string root) => Files(root).Sum(f => new FileInfo(Path.Combine(root, f.Folder, f.File)).Length);

    /// <summary>The step lines of the last timed run (cumulative seconds), so a slow ratio says which step it comes from.</summary>
    private static void NoteSteps(StringWriter steps)
    {
        foreach (var line in steps.ToString().Split('\n').Where(l => l.StartsWith('[')))
        {
            Measure.Note("  " + line.TrimEnd());
        }

        steps.GetStringBuilder().Clear();
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
