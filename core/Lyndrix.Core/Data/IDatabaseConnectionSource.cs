using System.Data.Common;

namespace Lyndrix.Core.Data;

/// <summary>
/// Hands out open connections of the configured dialect. The repositories and the migrator only see this seam;
/// the supervisor configures it (with the password it resolved) and classifies its failures.
/// </summary>
internal interface IDatabaseConnectionSource : IAsyncDisposable
{
    SqlDialect Dialect { get; }

    /// <summary>Where it connects to, without credentials.</summary>
    string Description { get; }

    /// <summary>(Re)builds the connection pool with this password (ignored by SQLite). Throws <see cref="DatabaseConfigurationException"/>
    /// when the settings cannot form a connection.</summary>
    void Configure(string? password);

    /// <summary>An open, validated connection: a pooled connection the server no longer knows is never returned.
    /// Throws <see cref="DatabaseUnavailableException"/> before <see cref="Configure"/>.</summary>
    Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Classifies a failure of this source as transient or permanent, by error code.</summary>
    Task<DatabaseFailure> ClassifyAsync(Exception exception, CancellationToken cancellationToken);

    /// <summary>Drops every pooled connection (after the database was lost).</summary>
    Task ResetPoolAsync();
}
