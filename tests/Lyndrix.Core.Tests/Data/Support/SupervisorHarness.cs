using Lyndrix.Core.Boot;
using Lyndrix.Core.Data;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Data.Support;

/// <summary>
/// The database service wired as the host wires it (event bus, boot state, source, migrator, supervisor), with every
/// log line captured. Tests emit <c>vault:opened</c> themselves.
/// </summary>
internal sealed class SupervisorHarness : IAsyncDisposable
{
    public SupervisorHarness(DatabaseSettings settings, CapturingLoggerProvider? logs = null, IDatabaseConnectionSource? source = null,
        ISchemaMigrator? migrator = null, IModuleSecretScopeFactory? secrets = null)
    {
        Settings = settings;
        Logs = logs ?? new CapturingLoggerProvider();
        Bus = new EventBus(Logs.CreateLogger<EventBus>(), TimeProvider.System);
        Boot = new BootState(TimeProvider.System);
        Redactor = new DatabaseCredentialRedactor();
        Source = source ?? (settings.UsesMariaDb ? new MariaDbConnectionSource(settings) : new SqliteConnectionSource(settings));
        Migrator = migrator ?? new SchemaMigrator(Source, Redactor, TimeProvider.System, Logs.CreateLogger<SchemaMigrator>());
        Events = new RecordedEvents(Bus);
        Supervisor = new DatabaseSupervisor(Bus, Boot, Source, Migrator, settings, Redactor, Status, TimeProvider.System,
            Logs.CreateLogger<DatabaseSupervisor>(), secrets);
    }

    public DatabaseSettings Settings { get; }

    public CapturingLoggerProvider Logs { get; }

    public EventBus Bus { get; }

    public BootState Boot { get; }

    public DatabaseCredentialRedactor Redactor { get; }

    public DatabaseStatus Status { get; } = new();

    public IDatabaseConnectionSource Source { get; }

    public ISchemaMigrator Migrator { get; }

    public RecordedEvents Events { get; }

    public DatabaseSupervisor Supervisor { get; }

    /// <summary>Failed attempts logged so far.</summary>
    public int FailedAttempts => Logs.Entries.Count(e => e.Category.EndsWith(nameof(DatabaseSupervisor), StringComparison.Ordinal) &&
                                                        e.Message.StartsWith("Database: attempt ", StringComparison.Ordinal));

    /// <summary>Migrations applied so far (one log line each).</summary>
    public int MigrationsApplied => Logs.Entries.Count(e => e.Message.StartsWith("Database: applying migration", StringComparison.Ordinal));

    public async Task StartAsync(bool openVault = true)
    {
        await Supervisor.StartAsync(CancellationToken.None);
        if (openVault)
        {
            OpenVault();
        }
    }

    /// <summary>What the secret store announces when it opens.</summary>
    public void OpenVault()
    {
        Bus.Emit(CoreTopics.VaultOpened);
        Bus.Emit(CoreTopics.VaultReadyForData);
    }

    public Task WaitForConnectedAsync(int count = 1, double seconds = 20) =>
        Eventually.True(() => Events.Of(CoreTopics.DbConnected).Count >= count, $"{count} db:connected event(s); events so far: {Describe()}", seconds);

    public Task WaitForMaintenanceAsync(string reason, double seconds = 20) =>
        Eventually.True(() => Events.Maintenance(reason).Count > 0, $"maintenance reason {reason}; events so far: {Describe()}", seconds);

    public string Describe() => string.Join("; ", Events.All.Select(e => $"{e.Topic} {e.Payload}")) + "\nLogs:\n" + Logs.AllText;

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Supervisor.StopAsync(stop.Token);
        await Supervisor.DisposeAsync();
        Events.Dispose();
        await Source.DisposeAsync();
        await Bus.DisposeAsync();
    }
}
