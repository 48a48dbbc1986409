using Dapper;

namespace Lyndrix.Core.Data;

/// <summary><see cref="IPluginStateStore"/> over <c>plugin_states</c>, for both dialects.</summary>
internal sealed class SqlPluginStateStore(IDatabaseConnectionSource source, TimeProvider time) : IPluginStateStore
{
    private const string Columns = "`module_id` AS ModuleId, `is_active` AS IsActive, `installed_version` AS InstalledVersion";

    public async Task<PluginStateRecord?> GetAsync(string moduleId, CancellationToken cancellationToken)
    {
        RecordValidation.Required(moduleId, "The module id", 190);
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM `plugin_states` WHERE `module_id` = @ModuleId", new { ModuleId = moduleId },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row?.ToRecord();
        }
    }

    public async Task<IReadOnlyList<PluginStateRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var rows = await connection.QueryAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM `plugin_states` ORDER BY `module_id`", cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToRecord()).ToArray();
        }
    }

    public async Task SaveAsync(PluginStateRecord state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        RecordValidation.Required(state.ModuleId, "The module id", 190);
        RecordValidation.Required(state.InstalledVersion, $"The installed version of '{state.ModuleId}'", 64);
        var updatedAt = UnixMillis.From(time.GetUtcNow());
        // An upsert to fixed values: safe to repeat after a Galera certification failure or a node that went away.
        await WriteRetry.IdempotentAsync(source, (connection, ct) => connection.ExecuteAsync(new CommandDefinition(source.Dialect.UpsertPluginStateSql, new
        {
            state.ModuleId,
            state.IsActive,
            state.InstalledVersion,
            UpdatedAt = updatedAt,
        }, cancellationToken: ct)), time, cancellationToken).ConfigureAwait(false);
    }

    private sealed class Row
    {
        public string ModuleId { get; set; } = "";
        public bool IsActive { get; set; }
        public string InstalledVersion { get; set; } = "";

        public PluginStateRecord ToRecord() => new(ModuleId, IsActive, InstalledVersion);
    }
}
