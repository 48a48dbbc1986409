using System.Data.Common;
using Dapper;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Backup;

/// <summary>The tables of a database as each dialect reports them: every base table (SQLite's own <c>sqlite_*</c> tables
/// aside), its columns in order, and the statements that create it.</summary>
internal static class TableCatalog
{
    public const string MigrationsTable = "schema_migrations";

    public static async Task<IReadOnlyList<TableSchema>> ListAsync(DbConnection connection, SqlDialectKind dialect, CancellationToken cancellationToken)
    {
        var tables = new List<TableSchema>();
        if (dialect == SqlDialectKind.Sqlite)
        {
            var names = await connection.QueryAsync<(string Name, string Sql)>(new CommandDefinition(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (var (name, sql) in names)
            {
                var columns = await connection.QueryAsync<(string Name, string Type, long Pk)>(new CommandDefinition(
                    "SELECT name, type, pk FROM pragma_table_info(@Name) ORDER BY cid", new { Name = name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                var indexes = await connection.QueryAsync<string>(new CommandDefinition(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = @Name AND sql IS NOT NULL ORDER BY name", new { Name = name },
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                tables.Add(new TableSchema(name, columns.Select(c => new ColumnSchema(c.Name, ColumnSchema.Portable(c.Type), c.Pk > 0)).ToList(),
                    [sql, .. indexes]));
            }
        }
        else
        {
            var names = await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (var name in names)
            {
                var columns = await connection.QueryAsync<(string Name, string Type, string Key)>(new CommandDefinition(
                    "SELECT COLUMN_NAME, COLUMN_TYPE, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @Name " +
                    "ORDER BY ORDINAL_POSITION", new { Name = name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                var create = await connection.QueryFirstAsync<(string Table, string Sql)>(new CommandDefinition(
                    $"SHOW CREATE TABLE {Quote(name)}", cancellationToken: cancellationToken)).ConfigureAwait(false);
                tables.Add(new TableSchema(name, columns.Select(c => new ColumnSchema(c.Name, ColumnSchema.Portable(c.Type), c.Key == "PRI")).ToList(),
                    [create.Sql]));
            }
        }

        return tables;
    }

    /// <summary>A <c>CREATE TABLE</c> for a table from the other dialect, from its portable column types (used for plugin tables
    /// when moving between SQLite and MariaDB; the core's tables are created by the core's own migrations).</summary>
    public static string PortableCreate(TableSchema table, SqlDialectKind dialect)
    {
        var columns = table.Columns.Select(c => $"{Quote(c.Name)} {(dialect == SqlDialectKind.MariaDb ? MariaDbType(c) : c.Type.ToUpperInvariant())}");
        var keys = table.Columns.Where(c => c.PrimaryKey).Select(c => Quote(c.Name)).ToList();
        var body = string.Join(", ", keys.Count > 0 ? columns.Append($"PRIMARY KEY ({string.Join(", ", keys)})") : columns);
        return $"CREATE TABLE {Quote(table.Name)} ({body})" + (dialect == SqlDialectKind.MariaDb ? " " + MariaDbDialect.TableOptions : "");
    }

    public static string Quote(string identifier) => "`" + identifier.Replace("`", "``", StringComparison.Ordinal) + "`";

    private static string MariaDbType(ColumnSchema column) => column.Type switch
    {
        "integer" => "BIGINT",
        "real" => "DOUBLE",
        "blob" => "LONGBLOB",
        _ => column.PrimaryKey ? "VARCHAR(190)" : "LONGTEXT",
    };
}
