using System.Text.Json;
using Lyndrix.Core.Backup;

namespace Lyndrix.Core.Tests.Backup.Support;

/// <summary>A deployment's content at one moment, compared record by record with <see cref="BackupComparison"/>.</summary>
internal sealed record DeploymentState(byte[] Database, IReadOnlyList<SecretDump> Secrets, IReadOnlyList<string> Tables)
{
    /// <summary>The differences between this state and <paramref name="other"/> (empty when both hold the same rows and secrets).</summary>
    public IReadOnlyList<string> DifferencesFrom(DeploymentState other, bool compareTableNames = true)
    {
        var secrets = JsonSerializer.SerializeToUtf8Bytes(Secrets);
        var contents = new BackupContents(
            new BackupManifest
            {
                Format = 1, CreatedAt = DateTimeOffset.UnixEpoch, LyndrixVersion = "test", SecretBackend = "?", Database = "?", CoreSchemaVersion = 0,
                Tables = new Dictionary<string, long>(), Secrets = Secrets.Count, Plugins = 0, Parts = [],
            },
            new Dictionary<string, byte[]> { [BackupManifest.DatabasePart] = Database, [BackupManifest.SecretsPart] = secrets });
        var differences = BackupComparison.Differences(contents, other.Database, other.Secrets, BackupService.DeploymentBound).ToList();
        if (compareTableNames && !Tables.SequenceEqual(other.Tables))
        {
            differences.Add($"tables differ: [{string.Join(", ", Tables)}] vs [{string.Join(", ", other.Tables)}]");
        }

        return differences;
    }
}
