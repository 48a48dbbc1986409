using System.Data.Common;
using System.Text.Json;
using Dapper;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Backup;

/// <summary>
/// Puts a backup's <c>database.json</c> into a database in one transaction that stays open until <see cref="CommitAsync"/>,
/// so the caller can restore the secrets in between and still undo everything. Tables the target lacks are created first
/// (MariaDB commits DDL on its own, so they are created outside the transaction; <see cref="RollbackAsync"/> drops every table that was not there before):
/// with the backup's own statements when the dialect matches, else from the portable column types. Every table of the backup is
/// emptied and refilled; tables the backup does not hold are left alone. <c>schema_migrations</c> keeps the target's core rows
/// (its core migrations ran before the restore) and takes the plugins' rows from the backup.
/// </summary>
internal sealed class DatabaseRestore : IAsyncDisposable
{
    private const int MaxParameters = 900;

    private readonly IDatabaseConnectionSource _source;
    private readonly DbConnection _connection;
    private readonly IReadOnlySet<string> _preexisting;
    private readonly HashSet<string> _created = new(StringComparer.Ordinal);
    private DbTransaction? _transaction;
    private bool _committed;

    private DatabaseRestore(IDatabaseConnectionSource source, DbConnection connection, IReadOnlySet<string> preexisting)
    {
        _source = source;
        _connection = connection;
        _preexisting = preexisting;
    }

    private SqlDialectKind Dialect => _source.Dialect.Kind;

    /// <param name="preexisting">The tables the target had before the restore began (before the core migrations ran): a rollback
    /// drops every other table.</param>
    /// <param name="step">Called after each table (with its name); a failure there aborts the restore (tests inject faults here).</param>
    public static async Task<DatabaseRestore> BeginAsync(IDatabaseConnectionSource source, JsonElement dump, IReadOnlySet<string> preexisting,
        Func<string, Task>? step, Action<string>? progress, CancellationToken cancellationToken)
    {
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        var restore = new DatabaseRestore(source, connection, preexisting);
        try
        {
            await restore.ApplyAsync(dump, step, progress, cancellationToken).ConfigureAwait(false);
            return restore;
        }
        catch
        {
            await restore.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await _transaction!.CommitAsync(cancellationToken).ConfigureAwait(false);
        _committed = true;
    }

    /// <summary>Undoes everything: the transaction is rolled back (a server that died meanwhile rolled it back itself) and the
    /// tables created for the restore are dropped. Throws when the database cannot be reached to drop them.</summary>
    public async Task RollbackAsync()
    {
        if (_committed)
        {
            throw new InvalidOperationException("The database restore was committed; it cannot be rolled back.");
        }

        if (_transaction is not null)
        {
            try
            {
                await _transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException)
            {
                // The connection broke: the server rolls back an uncommitted transaction of a lost session on its own.
            }
        }

        // Only when the restore (or the core migrations before it) created tables does the rollback need the database again:
        // a target whose server died meanwhile has rolled the transaction back and has nothing else to undo.
        if (_created.Count > 0)
        {
            await DropTablesNotInAsync(_source, _preexisting).ConfigureAwait(false);
        }
    }

    /// <summary>Drops every table that is not in <paramref name="keep"/>: what a restore (or the core migrations it ran) created.</summary>
    public static async Task DropTablesNotInAsync(IDatabaseConnectionSource source, IReadOnlySet<string> keep)
    {
        await source.ResetPoolAsync().ConfigureAwait(false);
        var connection = await source.OpenAsync(CancellationToken.None).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var tables = await TableCatalog.ListAsync(connection, source.Dialect.Kind, CancellationToken.None).ConfigureAwait(false);
            if (source.Dialect.Kind == SqlDialectKind.MariaDb)
            {
                await connection.ExecuteAsync("SET FOREIGN_KEY_CHECKS = 0").ConfigureAwait(false);
            }

            foreach (var table in tables.Where(t => !keep.Contains(t.Name)).Reverse())
            {
                await connection.ExecuteAsync($"DROP TABLE IF EXISTS {TableCatalog.Quote(table.Name)}").ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_transaction is not null)
        {
            await _transaction.DisposeAsync().ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ApplyAsync(JsonElement dump, Func<string, Task>? step, Action<string>? progress, CancellationToken cancellationToken)
    {
        var sameDialect = dump.GetProperty("dialect").GetString() == (Dialect == SqlDialectKind.MariaDb ? "mariadb" : "sqlite");
        var existing = (await TableCatalog.ListAsync(_connection, Dialect, cancellationToken).ConfigureAwait(false)).ToDictionary(t => t.Name, StringComparer.Ordinal);
        _created.UnionWith(existing.Keys.Where(name => !_preexisting.Contains(name)));
        var tables = dump.GetProperty("tables").EnumerateArray()
            .Select(t => (Schema: new TableSchema(t.GetProperty("name").GetString()!, t.GetProperty("columns").Deserialize<List<ColumnSchema>>()!,
                t.GetProperty("ddl").Deserialize<List<string>>()!), Rows: t.GetProperty("rows")))
            .ToList();
        if (Dialect == SqlDialectKind.MariaDb)
        {
            await _connection.ExecuteAsync(new CommandDefinition("SET FOREIGN_KEY_CHECKS = 0", cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        foreach (var (schema, _) in tables.Where(t => !existing.ContainsKey(t.Schema.Name)))
        {
            _created.Add(schema.Name);
            foreach (var statement in sameDialect ? schema.Ddl : [TableCatalog.PortableCreate(schema, Dialect)])
            {
                await _connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            existing[schema.Name] = schema;
        }

        _transaction = await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (Dialect == SqlDialectKind.Sqlite)
        {
            // Parents and children are refilled in any order; the keys are checked once, at commit.
            await Execute("PRAGMA defer_foreign_keys = ON", cancellationToken).ConfigureAwait(false);
        }

        foreach (var (schema, rows) in tables)
        {
            var target = existing[schema.Name].Columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            var missing = schema.Columns.Where(c => !target.Contains(c.Name)).Select(c => c.Name).ToList();
            if (missing.Count > 0)
            {
                throw new BackupException(BackupProblem.VersionMismatch,
                    $"Table {schema.Name} of the backup has column(s) {string.Join(", ", missing)} that the target's table lacks: the backup comes from a " +
                    "newer schema. Start the newer host (or plugin) once on the target so its migrations run, then restore again.");
            }

            var count = await RefillAsync(schema, rows, cancellationToken).ConfigureAwait(false);
            progress?.Invoke($"{schema.Name}: {count:N0} row(s)");
            await (step?.Invoke(schema.Name) ?? Task.CompletedTask).ConfigureAwait(false);
        }
    }

    private async Task<long> RefillAsync(TableSchema schema, JsonElement rows, CancellationToken cancellationToken)
    {
        var table = TableCatalog.Quote(schema.Name);
        var migrations = schema.Name == TableCatalog.MigrationsTable;
        var ownerColumn = migrations ? schema.Columns.ToList().FindIndex(c => c.Name == "owner") : -1;
        await Execute(migrations ? $"DELETE FROM {table} WHERE `owner` <> '{DatabaseModule.CoreSchemaOwner}'" : $"DELETE FROM {table}", cancellationToken)
            .ConfigureAwait(false);
        var width = schema.Columns.Count;
        var columns = string.Join(", ", schema.Columns.Select(c => TableCatalog.Quote(c.Name)));
        var wanted = rows.EnumerateArray().Where(row => ownerColumn < 0 || row[ownerColumn].GetString() != DatabaseModule.CoreSchemaOwner);
        if (Dialect == SqlDialectKind.Sqlite)
        {
            return await InsertEachAsync(table, columns, width, wanted, cancellationToken).ConfigureAwait(false);
        }

        // A server answers each statement over the network: many rows per statement.
        var perBatch = Math.Max(1, Math.Min(500, MaxParameters / Math.Max(1, width)));
        var batch = new List<JsonElement>(perBatch);
        long count = 0;
        foreach (var row in wanted)
        {
            batch.Add(row);
            if (batch.Count == perBatch)
            {
                count += await InsertAsync(table, columns, width, batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            count += await InsertAsync(table, columns, width, batch, cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    /// <summary>SQLite runs in this process: one prepared single-row statement, executed per row, is several times faster than
    /// compiling a large multi-row statement per batch.</summary>
    private async Task<long> InsertEachAsync(string table, string columns, int width, IEnumerable<JsonElement> rows, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        var parameters = new DbParameter[width];
        for (var c = 0; c < width; c++)
        {
            parameters[c] = command.CreateParameter();
            parameters[c].ParameterName = $"@p{c}";
            command.Parameters.Add(parameters[c]);
        }

        command.CommandText = $"INSERT INTO {table} ({columns}) VALUES ({string.Join(", ", parameters.Select(p => p.ParameterName))})";
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        long count = 0;
        foreach (var row in rows)
        {
            CheckWidth(table, width, row);
            var c = 0;
            foreach (var cell in row.EnumerateArray())
            {
                parameters[c++].Value = ToValue(cell);
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            count++;
        }

        return count;
    }

    private static void CheckWidth(string table, int width, JsonElement row)
    {
        if (row.GetArrayLength() != width)
        {
            throw new BackupException(BackupProblem.Damaged, $"A row of table {table} has {row.GetArrayLength()} values for {width} columns: the backup is inconsistent.");
        }
    }

    private async Task<int> InsertAsync(string table, string columns, int width, List<JsonElement> rows, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        var values = new List<string>(rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            CheckWidth(table, width, rows[r]);

            var names = new string[width];
            var c = 0;
            foreach (var cell in rows[r].EnumerateArray())
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = names[c] = $"@p{r}_{c}";
                parameter.Value = ToValue(cell);
                command.Parameters.Add(parameter);
                c++;
            }

            values.Add("(" + string.Join(", ", names) + ")");
        }

        command.CommandText = $"INSERT INTO {table} ({columns}) VALUES {string.Join(", ", values)}";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return rows.Count;
    }

    private async Task Execute(string sql, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static object ToValue(JsonElement cell) => cell.ValueKind switch
    {
        JsonValueKind.Null => DBNull.Value,
        JsonValueKind.Number => cell.TryGetInt64(out var integer) ? integer : cell.GetDouble(),
        JsonValueKind.String => cell.GetString()!,
        JsonValueKind.Object when cell.TryGetProperty("b", out var bytes) => bytes.GetBytesFromBase64(),
        _ => throw new BackupException(BackupProblem.Damaged, $"A value of kind {cell.ValueKind} is not one a backup writes: the backup is inconsistent."),
    };
}
