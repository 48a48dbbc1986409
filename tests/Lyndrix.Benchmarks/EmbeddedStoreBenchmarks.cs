using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Scopes;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Benchmarks;

/// <summary>
/// The embedded secret store (SQLite, one encrypted row per version):
/// <list type="bullet">
/// <item>one secret write with 100k secrets stored vs with 100 stored (aim: at most 1.5x; the format 1 JSON file rewrote
/// everything on each write, so its cost grew with the store);</item>
/// <item>a module's <c>GetSecretAsync</c> over the embedded backend vs a raw parameterized SELECT of the same row on an open
/// connection plus one AES-GCM decrypt (aim: at most 1.3x).</item>
/// </list>
/// </summary>
internal static class EmbeddedStoreBenchmarks
{
    private const string ModuleId = "bench.embedded";

    public static async Task RunAsync()
    {
        await WriteCostAsync();
        await ReadCostAsync();
    }

    private static async Task WriteCostAsync()
    {
        using var small = new TempDirectory("lyndrix-bench-embedded-small");
        using var large = new TempDirectory("lyndrix-bench-embedded-large");
        var (smallStore, _) = await OpenAsync(small.Path, 100);
        var (largeStore, _) = await OpenAsync(large.Path, 100_000);
        using (smallStore)
        using (largeStore)
        {
            var random = new Random(16);
            Func<int, Task<TimeSpan>> Writes(EmbeddedSecretBackend backend, int stored) => async n =>
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++)
                {
                    await backend.Store.WriteAsync($"plugins/p{random.Next(stored)}", Value(i), null, CancellationToken.None);
                }

                return Stopwatch.GetElapsedTime(start);
            };

            var (baseline, candidate) = await Measure.InterleavedMedianMicrosAsync(Writes(smallStore, 100), Writes(largeStore, 100_000), operations: 20, rounds: 9,
                warmUpOperations: 20);
            Measure.Report("Embedded store: one write with 100k secrets stored vs 100", baseline, candidate, 1.5, "us/op");
            Measure.Note($"sizes: {Size(small.Path) / 1024.0:0} KiB vs {Size(large.Path) / 1024.0 / 1024.0:0.0} MiB; each write is one durable transaction " +
                         "(synchronous=FULL) plus the rollback mark's atomic file write.");
        }
    }

    private static async Task ReadCostAsync()
    {
        using var dir = new TempDirectory("lyndrix-bench-embedded-read");
        var (backend, key) = await OpenAsync(dir.Path, 1000);
        using (backend)
        {
            var path = "plugins/" + ModuleId;
            await backend.Store.WriteAsync(path, new Dictionary<string, string> { ["api_key"] = "s3cr3t-value", ["region"] = "eu-1" }, null, CancellationToken.None);
            var scopes = new ModuleSecretScopeFactory(
                backend, new SecretStoreSettings { SecurityDir = dir.Path, IsDev = true, Argon = Argon2Parameters.Default }, TimeProvider.System, NullLoggerFactory.Instance);
            var manifest = new ModuleManifest { Id = ModuleId, Name = "Embedded store benchmark", Version = "1.0.0" };
            await using var bus = new EventBus(NullLogger<EventBus>.Instance, TimeProvider.System);
            await using var tasks = new TaskTracker(NullLogger<TaskTracker>.Instance);
            var module = new ModuleContextFactory(bus, tasks, scopes, new AuthProviderRegistry(), NullLoggerFactory.Instance).Create(manifest, new Dictionary<string, string?>());
            if (await module.GetSecretAsync("api_key", CancellationToken.None) != "s3cr3t-value")
            {
                throw new InvalidOperationException("The secret did not read back; the comparison would be meaningless.");
            }

            // The baseline: what any code reading this row must do at least.
            using var connection = new SqliteConnection($"Data Source={backend.Paths.Database};Pooling=False");
            connection.Open();
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT version, ciphertext FROM versions WHERE path = $path ORDER BY version DESC LIMIT 1";
            var parameter = select.Parameters.Add("$path", SqliteType.Text);
            select.Prepare();
            using var aead = new AesGcm(key, EmbeddedCipher.TagLength);
            var buffer = new byte[4096];

            Task<TimeSpan> Raw(int n)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++)
                {
                    parameter.Value = path;
                    using var reader = select.ExecuteReader();
                    reader.Read();
                    var version = reader.GetInt32(0);
                    var sealedValue = reader.GetFieldValue<byte[]>(1);
                    var length = EmbeddedCipher.PlaintextLength(sealedValue.Length);
                    EmbeddedCipher.Open(aead, sealedValue, EmbeddedCipher.SecretAssociatedData(path, version), buffer.AsSpan(0, length));
                }

                return Task.FromResult(Stopwatch.GetElapsedTime(start));
            }

            async Task<TimeSpan> Store(int n)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++)
                {
                    _ = await backend.Store.ReadAsync(path, CancellationToken.None);
                }

                return Stopwatch.GetElapsedTime(start);
            }

            async Task<TimeSpan> Lyndrix(int n)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++)
                {
                    _ = await module.GetSecretAsync("api_key", CancellationToken.None);
                }

                return Stopwatch.GetElapsedTime(start);
            }

            var medians = await Measure.InterleavedMediansMicrosAsync([Raw, Lyndrix, Store], operations: 2000, rounds: 21, warmUpOperations: 20_000);
            Measure.Report("GetSecret: module scope over the embedded backend", medians[0], medians[1], 1.3, "us/op");
            Measure.Note("baseline: prepared SELECT of the newest version row on an open connection + one AES-GCM decrypt (no JSON parse); store of 1000 secrets.");
            Measure.Note($"layers (us/op): raw {medians[0]:0.00}; KV store read (decrypt + JSON) {medians[2]:0.00}; ModuleContext.GetSecretAsync {medians[1]:0.00}.");
        }
    }

    /// <summary>An open store holding <paramref name="secrets"/> secrets. They are inserted in one transaction with the store's own
    /// record format (the state writes would leave), because 100k separate durable writes would take minutes.</summary>
    private static async Task<(EmbeddedSecretBackend Backend, byte[] Key)> OpenAsync(string dir, int secrets)
    {
        var backend = new EmbeddedSecretBackend(EmbeddedStorePaths.In(dir), TimeProvider.System);
        var material = await backend.InitializeAsync(CancellationToken.None);
        await File.WriteAllTextAsync(backend.Paths.KeyFile, "benchmark stand-in");
        await backend.UnsealAsync(material, CancellationToken.None);
        var key = Convert.FromBase64String(material.RootToken);
        backend.Seal();

        using (var connection = EmbeddedStoreDatabase.Open(backend.Paths.Database))
        using (var aead = EmbeddedCipher.NewAead(key))
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO secrets (path, current_version, max_versions, created_time, updated_time) VALUES ($path, 1, 0, $now, $now);
                INSERT INTO versions (path, version, created_time, deletion_time, destroyed, ciphertext) VALUES ($path, 1, $now, NULL, 0, $ciphertext);
                """;
            var path = insert.Parameters.Add("$path", SqliteType.Text);
            insert.Parameters.AddWithValue("$now", EmbeddedKeyValueStore.Format(DateTimeOffset.UtcNow));
            var ciphertext = insert.Parameters.Add("$ciphertext", SqliteType.Blob);
            for (var i = 0; i < secrets; i++)
            {
                path.Value = $"plugins/p{i}";
                ciphertext.Value = EmbeddedCipher.Seal(aead, JsonSerializer.SerializeToUtf8Bytes(Value(i)), EmbeddedCipher.SecretAssociatedData($"plugins/p{i}", 1));
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        await backend.UnsealAsync(material, CancellationToken.None);
        return (backend, key);
    }

    private static Dictionary<string, string> Value(int i) => new() { ["api_key"] = $"key-{i:D8}-0123456789abcdef", ["region"] = "eu-1" };

    private static long Size(string dir) => Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);
}
