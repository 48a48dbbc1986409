namespace Lyndrix.Core.Data;

internal enum SqlDialectKind
{
    MariaDb,
    Sqlite,
}
