using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>What the embedded store says in the log (never a secret, a key or a value).</summary>
internal static partial class EmbeddedStoreLog
{
    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning,
        Message = "Secret store: migrated {Count} secret(s) from {LegacyFile} to {Database} (each verified to decrypt the same). The old file is kept as {Kept} until the next successful start")]
    public static partial void Migrated(ILogger logger, int count, string legacyFile, string database, string kept);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Information, Message = "Secret store: removed {Kept}, kept since the migration of an earlier start")]
    public static partial void RemovedMigratedFile(ILogger logger, string kept);

    [LoggerMessage(EventId = 1603, Level = LogLevel.Information, Message = "Secret store: finished an interrupted migration; {LegacyFile} is kept as {Kept}")]
    public static partial void FinishedMigration(ILogger logger, string legacyFile, string kept);

    [LoggerMessage(EventId = 1604, Level = LogLevel.Warning, Message = "Secret store: removed {Database}, left by an initialization that never wrote its key file")]
    public static partial void RemovedPendingStore(ILogger logger, string database);

    [LoggerMessage(EventId = 1605, Level = LogLevel.Warning,
        Message = "Secret store: the write was committed, but the rollback mark {Mark} could not be updated ({Reason}); it lags behind the store until the next write")]
    public static partial void MarkNotAdvanced(ILogger logger, string mark, string reason);
}
