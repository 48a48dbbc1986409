using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Lyndrix.Core.Data;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Backup;

/// <summary>
/// Reads every table of a running deployment's database as of one moment, into the backup's <c>database.json</c>:
/// <c>{"dialect", "tables": [{"name", "columns", "ddl", "rows": [[...]]}]}</c>. MariaDB: one InnoDB transaction WITH CONSISTENT
/// SNAPSHOT (writers go on meanwhile). SQLite: SQLite's online backup copies the file into memory under one short read lock,
/// and the copy is read at leisure (a long read transaction would hold the host's writers back).
/// Values: integers and reals as JSON numbers (booleans as 0/1), text as strings, bytes as <c>{"b": base64}</c>, times and
/// decimals as text.
/// </summary>
internal static class DatabaseSnapshot
{
    public static async Task<(byte[] Json, IReadOnlyDictionary<string, long> Rows)> ReadAsync(IDatabaseConnectionSource source, Action<string>? progress,
        CancellationToken cancellationToken)
    {
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            if (source.Dialect.Kind == SqlDialectKind.Sqlite)
            {
                using var copy = new SqliteConnection("Data Source=:memory:");
                await copy.OpenAsync(cancellationToken).ConfigureAwait(false);
                ((SqliteConnection)connection).BackupDatabase(copy);
                return await WriteAsync(copy, SqlDialectKind.Sqlite, progress, cancellationToken).ConfigureAwait(false);
            }

            await connection.ExecuteAsync(new CommandDefinition("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ", cancellationToken: cancellationToken))
                .ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", cancellationToken: cancellationToken))
                .ConfigureAwait(false);
            try
            {
                return await WriteAsync(connection, SqlDialectKind.MariaDb, progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await connection.ExecuteAsync(new CommandDefinition("COMMIT", cancellationToken: CancellationToken.None)).ConfigureAwait(false);
            }
        }
    }

    private static async Task<(byte[] Json, IReadOnlyDictionary<string, long> Rows)> WriteAsync(DbConnection connection, SqlDialectKind dialect,
        Action<string>? progress, CancellationToken cancellationToken)
    {
        var tables = await TableCatalog.ListAsync(connection, dialect, cancellationToken).ConfigureAwait(false);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("dialect", dialect == SqlDialectKind.MariaDb ? "mariadb" : "sqlite");
            json.WriteStartArray("tables");
            foreach (var table in tables)
            {
                json.WriteStartObject();
                json.WriteString("name", table.Name);
                json.WritePropertyName("columns");
                JsonSerializer.Serialize(json, table.Columns);
                json.WritePropertyName("ddl");
                JsonSerializer.Serialize(json, table.Ddl);
                json.WriteStartArray("rows");
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT {string.Join(", ", table.Columns.Select(c => TableCatalog.Quote(c.Name)))} FROM {TableCatalog.Quote(table.Name)}";
                long rows = 0;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        json.WriteStartArray();
                        for (var i = 0; i < reader.FieldCount; i++)
                        {
                            WriteValue(json, reader.GetValue(i));
                        }

                        json.WriteEndArray();
                        rows++;
                    }
                }

                json.WriteEndArray();
                json.WriteEndObject();
                counts[table.Name] = rows;
                progress?.Invoke($"{table.Name}: {rows:N0} row(s)");
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return (buffer.ToArray(), counts);
    }

    private static void WriteValue(Utf8JsonWriter json, object value)
    {
        switch (value)
        {
            case DBNull:
                json.WriteNullValue();
                break;
            case bool b:
                json.WriteNumberValue(b ? 1 : 0);
                break;
            case long or int or short or sbyte or byte or ushort or uint:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong u:
                json.WriteNumberValue(u);
                break;
            case double or float when double.IsFinite(Convert.ToDouble(value, CultureInfo.InvariantCulture)):
                json.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case string s:
                json.WriteStringValue(s);
                break;
            case byte[] bytes:
                json.WriteStartObject();
                json.WriteBase64String("b", bytes);
                json.WriteEndObject();
                break;
            case DateTime time:
                json.WriteStringValue(time.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
                break;
            case IFormattable formattable:
                json.WriteStringValue(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteStringValue(value.ToString());
                break;
        }
    }
}
