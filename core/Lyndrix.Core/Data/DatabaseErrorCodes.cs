using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace Lyndrix.Core.Data;

/// <summary>Names the error code an exception carries, for log lines; null when it carries none.</summary>
internal static class DatabaseErrorCodes
{
    public static string? Describe(Exception exception) => exception switch
    {
        MySqlException { Number: not 0 } m => $"MariaDB error {m.Number}",
        SqliteException s => $"SQLite error {s.SqliteErrorCode}/{s.SqliteExtendedErrorCode}",
        SocketException s => $"socket {s.SocketErrorCode}",
        _ => null,
    };
}
