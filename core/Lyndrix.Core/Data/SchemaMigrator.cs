using System.Data.Common;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Data;

/// <summary>
/// Runs versioned migrations per owner and records them in <c>schema_migrations</c>.
/// <para>What is guaranteed when a migration fails:</para>
/// <list type="bullet">
/// <item>SQLite: the whole migration (every step and its record) runs in one transaction; the schema is as it was.</item>
/// <item>MariaDB: DDL commits on its own, so each step is recorded as soon as it has run (<c>steps_applied</c>). A failing
/// first step leaves nothing behind (each DDL statement is atomic). When a later step fails, the undo statements of the
/// steps already applied run in reverse order; if every one exists and succeeds, the schema is as it was and the record is
/// removed. Otherwise the applied steps stay, the record says how many, and the next run resumes with the failed step.</item>
/// </list>
/// The core's own MariaDB migrations are one idempotent statement each, so they are always all-or-nothing.
/// </summary>
internal sealed partial class SchemaMigrator(
    IDatabaseConnectionSource source,
    DatabaseCredentialRedactor redactor,
    TimeProvider time,
    ILogger<SchemaMigrator> logger) : ISchemaMigrator
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(60);

    public async Task<IReadOnlyList<int>> MigrateAsync(string owner, IReadOnlyList<SchemaMigration> migrations, CancellationToken cancellationToken)
    {
        Validate(owner, migrations);
        var dialect = source.Dialect;
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await connection.ExecuteAsync(new CommandDefinition(dialect.CreateMigrationTableSql, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var migrationLock = await dialect.LockMigrationsAsync(connection, LockTimeout, cancellationToken).ConfigureAwait(false);
            await using (migrationLock.ConfigureAwait(false))
            {
                var recorded = (await ListAsync(connection, owner, null, cancellationToken).ConfigureAwait(false)).ToDictionary(m => m.Version);
                foreach (var migration in migrations)
                {
                    if (recorded.TryGetValue(migration.Version, out var record) && record.Name != migration.Name)
                    {
                        throw new MigrationFailedException(owner, migration.Version, migration.Name, true,
                            $"Database migration {owner} #{migration.Version} is recorded as '{record.Name}' but the code declares '{migration.Name}'. " +
                            "A published migration must not change: restore its name and add a new migration for the change.");
                    }
                }

                var applied = new List<int>();
                foreach (var migration in migrations)
                {
                    recorded.TryGetValue(migration.Version, out var record);
                    if (record is { IsComplete: true })
                    {
                        continue;
                    }

                    var steps = migration.StepsFor(dialect.Kind);
                    logger.LogInformation("Database: applying migration {Owner} #{Version} '{Name}' ({Dialect}, {Steps} statement(s))",
                        owner, migration.Version, migration.Name, dialect.Name, steps.Count);
                    var ran = dialect.TransactionalDdl
                        ? await ApplyInTransactionAsync(connection, owner, migration, steps, cancellationToken).ConfigureAwait(false)
                        : await ApplyStepwiseAsync(connection, owner, migration, steps, record?.StepsApplied ?? 0, cancellationToken).ConfigureAwait(false);
                    if (ran)
                    {
                        applied.Add(migration.Version);
                    }
                }

                return applied;
            }
        }
    }

    public async Task<IReadOnlyList<AppliedMigration>> ListAppliedAsync(string owner, CancellationToken cancellationToken)
    {
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await connection.ExecuteAsync(new CommandDefinition(source.Dialect.CreateMigrationTableSql, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return await ListAsync(connection, owner, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<IReadOnlyList<AppliedMigration>> ListAsync(DbConnection connection, string owner, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<MigrationRow>(new CommandDefinition(
            "SELECT `owner` AS Owner, `version` AS Version, `name` AS Name, `steps_applied` AS StepsApplied, `steps_total` AS StepsTotal, " +
            "`applied_at` AS AppliedAt FROM `schema_migrations` WHERE `owner` = @Owner ORDER BY `version`",
            new { Owner = owner }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new AppliedMigration(r.Owner, (int)r.Version, r.Name, (int)r.StepsApplied, (int)r.StepsTotal,
            DateTimeOffset.FromUnixTimeMilliseconds(r.AppliedAt))).ToArray();
    }

    /// <returns>False when another process applied it meanwhile.</returns>
    private async Task<bool> ApplyInTransactionAsync(DbConnection connection, string owner, SchemaMigration migration,
        IReadOnlyList<MigrationStep> steps, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var again = await ListAsync(connection, owner, transaction, cancellationToken).ConfigureAwait(false);
            if (again.Any(m => m.Version == migration.Version && m.IsComplete))
            {
                return false;
            }

            for (var i = 0; i < steps.Count; i++)
            {
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(steps[i].Sql, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }
                catch (DbException ex)
                {
                    await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                    throw Failed(owner, migration, i, steps.Count, ex, true,
                        "The migration ran in a transaction that was rolled back: the schema is as it was. Fix the migration or the database, then restart.");
                }
            }

            await RecordAsync(connection, transaction, owner, migration, steps.Count, steps.Count, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
    }

    private async Task<bool> ApplyStepwiseAsync(DbConnection connection, string owner, SchemaMigration migration,
        IReadOnlyList<MigrationStep> steps, int alreadyApplied, CancellationToken cancellationToken)
    {
        if (alreadyApplied > 0)
        {
            logger.LogWarning("Database: migration {Owner} #{Version} '{Name}' was left after statement {Applied} of {Total}; resuming",
                owner, migration.Version, migration.Name, alreadyApplied, steps.Count);
        }

        for (var i = alreadyApplied; i < steps.Count; i++)
        {
            try
            {
                // Statement and record share a transaction: for DML that makes them one unit; DDL commits implicitly
                // before itself, and the record then commits right after it.
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    await connection.ExecuteAsync(new CommandDefinition(steps[i].Sql, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    await RecordAsync(connection, transaction, owner, migration, i + 1, steps.Count, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (DbException ex)
            {
                if (i == 0)
                {
                    throw Failed(owner, migration, i, steps.Count, ex, true,
                        "Nothing of it was applied (a single MariaDB DDL statement is all-or-nothing): the schema is as it was. Fix the migration or the database, then restart.");
                }

                var restoredTo = await UndoAsync(connection, owner, migration, steps, i, cancellationToken).ConfigureAwait(false);
                if (restoredTo == 0)
                {
                    throw Failed(owner, migration, i, steps.Count, ex, true,
                        $"MariaDB had already committed statement(s) 1-{i}; their undo statements ran, so the schema is as it was. Fix the migration or the database, then restart.");
                }

                throw Failed(owner, migration, i, steps.Count, ex, false,
                    $"Statement(s) 1-{restoredTo} of {steps.Count} stay applied: MariaDB commits DDL immediately and they could not be undone (an undo statement is missing or failed). " +
                    $"schema_migrations records {restoredTo} applied statement(s); the next run resumes with statement {restoredTo + 1}. Fix the cause, then restart.");
            }
        }

        return true;
    }

    /// <summary>Runs the undo statements of steps <c>applied-1 … 0</c>; returns how many steps remain applied.</summary>
    private async Task<int> UndoAsync(DbConnection connection, string owner, SchemaMigration migration, IReadOnlyList<MigrationStep> steps,
        int applied, CancellationToken cancellationToken)
    {
        for (var j = applied - 1; j >= 0; j--)
        {
            if (steps[j].Undo is not { } undo)
            {
                return j + 1;
            }

            try
            {
                await connection.ExecuteAsync(new CommandDefinition(undo, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
            catch (DbException ex)
            {
                logger.LogError("Database: undo of statement {Step} of migration {Owner} #{Version} '{Name}' failed: {Error}",
                    j + 1, owner, migration.Version, migration.Name, redactor.Describe(ex));
                return j + 1;
            }

            if (j == 0)
            {
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM `schema_migrations` WHERE `owner` = @Owner AND `version` = @Version",
                    new { Owner = owner, migration.Version }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
            else
            {
                await RecordAsync(connection, null, owner, migration, j, steps.Count, cancellationToken).ConfigureAwait(false);
            }
        }

        return 0;
    }

    private Task RecordAsync(DbConnection connection, DbTransaction? transaction, string owner, SchemaMigration migration, int stepsApplied, int stepsTotal,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(source.Dialect.UpsertMigrationSql, new
        {
            Owner = owner,
            migration.Version,
            migration.Name,
            StepsApplied = stepsApplied,
            StepsTotal = stepsTotal,
            AppliedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        }, transaction, cancellationToken: cancellationToken));

    private MigrationFailedException Failed(string owner, SchemaMigration migration, int step, int total, Exception ex, bool restored, string state)
    {
        var message = $"Database migration {owner} #{migration.Version} '{migration.Name}' failed at statement {step + 1} of {total} " +
                      $"({source.Dialect.Name}): {redactor.Describe(ex)}. {state}";
        logger.LogError("{Message}", message);
        return new MigrationFailedException(owner, migration.Version, migration.Name, restored, message);
    }

    private static void Validate(string owner, IReadOnlyList<SchemaMigration> migrations)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        if (string.IsNullOrEmpty(owner) || owner.Length > 190 || !OwnerPattern().IsMatch(owner))
        {
            throw new ArgumentException(
                $"Migration owner '{owner}' is not valid: use 'core' or a module id (lower-case letters, digits, '.', '_', '-'; at most 190 characters).",
                nameof(owner));
        }

        var previous = 0;
        foreach (var m in migrations)
        {
            if (m is null)
            {
                throw new ArgumentException($"Migrations of '{owner}' contain a null entry.", nameof(migrations));
            }

            if (m.Version <= previous)
            {
                throw new ArgumentException(
                    $"Migrations of '{owner}' must have positive, unique versions in ascending order; #{m.Version} '{m.Name}' follows #{previous}.",
                    nameof(migrations));
            }

            if (string.IsNullOrWhiteSpace(m.Name) || m.Name.Length > 255)
            {
                throw new ArgumentException($"Migration {owner} #{m.Version} needs a name of 1 to 255 characters.", nameof(migrations));
            }

            foreach (var (dialect, steps) in new[] { ("MariaDB", m.MariaDb), ("SQLite", m.Sqlite) })
            {
                if (steps is null || steps.Count == 0 || steps.Any(s => s is null || string.IsNullOrWhiteSpace(s.Sql)))
                {
                    throw new ArgumentException($"Migration {owner} #{m.Version} '{m.Name}' needs at least one non-empty {dialect} statement.", nameof(migrations));
                }
            }

            previous = m.Version;
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._:-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex OwnerPattern();

    private sealed class MigrationRow
    {
        public string Owner { get; set; } = "";
        public long Version { get; set; }
        public string Name { get; set; } = "";
        public long StepsApplied { get; set; }
        public long StepsTotal { get; set; }
        public long AppliedAt { get; set; }
    }
}
