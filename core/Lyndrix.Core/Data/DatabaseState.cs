namespace Lyndrix.Core.Data;

internal enum DatabaseState
{
    /// <summary>Waiting for the secret store (<c>vault:opened</c>).</summary>
    WaitingForSecrets,
    Connecting,
    Connected,

    /// <summary>The fast retries are used up; slow recovery attempts continue.</summary>
    Recovering,

    /// <summary>A permanent configuration failure; no retries until the configuration changes (restart or a new <c>vault:opened</c>).</summary>
    ConfigError,

    /// <summary>A core migration failed; the database is not used.</summary>
    MigrationFailed,
}
