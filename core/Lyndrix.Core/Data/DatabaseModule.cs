using Lyndrix.Sdk;

namespace Lyndrix.Core.Data;

/// <summary>The database service as a core module: its identity decides where its secrets live.</summary>
internal static class DatabaseModule
{
    public const string Id = "lyndrix.core.database";

    /// <summary>Secret-store path of the database's secrets.</summary>
    public const string SecretPath = "core/" + Id;

    /// <summary>Field at <see cref="SecretPath"/> that, when present, overrides <c>DB_PASSWORD</c>.</summary>
    public const string PasswordField = "db_password";

    /// <summary>Owner of the core tables in <c>schema_migrations</c>.</summary>
    public const string CoreSchemaOwner = "core";

    public static ModuleManifest Manifest { get; } = new()
    {
        Id = Id,
        Name = "Database",
        Version = "1.0.0",
        Type = ModuleType.Core,
        Description = "MariaDB or embedded SQLite: connection supervision, migrations and the core tables.",
        Author = "Lyndrix",
    };
}
