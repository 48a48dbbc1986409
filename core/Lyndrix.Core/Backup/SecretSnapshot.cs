using Lyndrix.Core.Secrets;

namespace Lyndrix.Core.Backup;

/// <summary>
/// Reads every live secret of mount <c>lyndrix</c> as of one point in time, and makes a store hold exactly a given set.
/// The embedded store exports in one read snapshot (<see cref="IKeyValueTransfer"/>). Vault offers no snapshot across keys, so
/// there the read is validated: after reading every key (its metadata and current
/// data), the keys are listed and their current versions read again; a key whose version moved, or a key that appeared or
/// went, is read again, until a pass finds no change. Versions only grow, so when none moved between a key's read and its
/// check, every key held the read value at the moment between the two passes: the snapshot is that moment's state.
/// </summary>
internal static class SecretSnapshot
{
    private const int MaxPasses = 5;

    public static async Task<IReadOnlyList<SecretDump>> ReadAsync(IKeyValueStore store, Action<int, int>? progress, CancellationToken cancellationToken)
    {
        if (store is IKeyValueTransfer transfer)
        {
            // One read snapshot holds every key as of one commit: nothing to check again.
            var exported = await transfer.ExportAsync(cancellationToken).ConfigureAwait(false);
            progress?.Invoke(exported.Count, exported.Count);
            return exported.Select(s => new SecretDump(s.Path, s.Data, s.Version, s.MaxVersions, s.CreatedTime, s.UpdatedTime)).ToList();
        }

        var listing = (IKeyValueListing)store;
        var history = (IKeyValueHistory)store;
        var captured = new Dictionary<string, Captured>(StringComparer.Ordinal);
        var pending = (await listing.ListPathsAsync(cancellationToken).ConfigureAwait(false)).ToList();
        for (var pass = 0; pass < MaxPasses; pass++)
        {
            var done = 0;
            foreach (var path in pending)
            {
                captured[path] = await ReadOneAsync(store, history, path, cancellationToken).ConfigureAwait(false);
                progress?.Invoke(++done, pending.Count);
            }

            var now = await listing.ListPathsAsync(cancellationToken).ConfigureAwait(false);
            var nowSet = now.ToHashSet(StringComparer.Ordinal);
            foreach (var gone in captured.Keys.Where(k => !nowSet.Contains(k)).ToList())
            {
                captured.Remove(gone);
            }

            pending = now.Where(p => !captured.ContainsKey(p)).ToList();
            foreach (var (path, read) in captured)
            {
                var metadata = await history.ReadMetadataAsync(path, cancellationToken).ConfigureAwait(false);
                if ((metadata?.CurrentVersion ?? 0) != read.Version)
                {
                    pending.Add(path);
                }
            }

            if (pending.Count == 0)
            {
                return captured.Values.Select(c => c.Dump).OfType<SecretDump>().OrderBy(s => s.Path, StringComparer.Ordinal).ToList();
            }
        }

        throw new BackupException(BackupProblem.Failed,
            $"Secrets kept changing while they were read ({MaxPasses} passes); no consistent copy could be taken. Try again at a quieter moment.");
    }

    /// <summary>Writes, rewrites and deletes secrets until <paramref name="store"/> holds exactly <paramref name="desired"/>
    /// (paths in <paramref name="keep"/> are left as they are). Secrets whose fields and <c>max_versions</c> already match are
    /// not touched, so a repeated restore writes nothing. A store that imports (<see cref="IKeyValueTransfer.BeginImport"/>, the embedded
    /// store) takes every change in one transaction: all land or none. Vault has no such transaction, so its changes go one
    /// request per secret, <see cref="VaultConcurrency"/> at a time (keys are independent; a failure stops the rest and the
    /// caller puts back what landed).</summary>
    /// <param name="step">Called before each change with the number of changes made so far (a failure there stops the sync).</param>
    /// <returns>How many secrets were written and deleted.</returns>
    public static async Task<(int Written, int Deleted)> SyncAsync(IKeyValueStore store, IReadOnlyList<SecretDump> desired, IReadOnlyList<SecretDump> current,
        IReadOnlySet<string> keep, Func<int, Task>? step, CancellationToken cancellationToken)
    {
        var now = current.ToDictionary(s => s.Path, StringComparer.Ordinal);
        var wanted = desired.Where(s => !keep.Contains(s.Path)).ToDictionary(s => s.Path, StringComparer.Ordinal);
        var gone = now.Keys.Where(p => !wanted.ContainsKey(p) && !keep.Contains(p)).Order(StringComparer.Ordinal).ToList();
        var changed = wanted.Values.Where(s => !(now.TryGetValue(s.Path, out var existing) && existing.SameContentAs(s)))
            .OrderBy(s => s.Path, StringComparer.Ordinal).Select(s => (Secret: s, MaxVersions: MaxVersionsChange(now.GetValueOrDefault(s.Path), s))).ToList();
        var changes = 0;
        Task Step() => step?.Invoke(Interlocked.Increment(ref changes) - 1) ?? Task.CompletedTask;

        if (store is IKeyValueTransfer import)
        {
            using var batch = import.BeginImport();
            foreach (var path in gone)
            {
                await Step().ConfigureAwait(false);
                batch.Delete(path);
            }

            foreach (var (secret, maxVersions) in changed)
            {
                await Step().ConfigureAwait(false);
                batch.Write(secret.Path, secret.Data, maxVersions);
            }

            await batch.CommitAsync(cancellationToken).ConfigureAwait(false);
            return (changed.Count, gone.Count);
        }

        var history = (IKeyValueHistory)store;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = VaultConcurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(gone, parallel, async (path, token) =>
        {
            await Step().ConfigureAwait(false);
            await store.DeleteAsync(path, token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        await Parallel.ForEachAsync(changed, parallel, async (change, token) =>
        {
            await Step().ConfigureAwait(false);
            if (change.MaxVersions is { } maxVersions)
            {
                await history.SetMaxVersionsAsync(change.Secret.Path, maxVersions, token).ConfigureAwait(false);
            }

            await store.WriteAsync(change.Secret.Path, change.Secret.Data, null, token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return (changed.Count, gone.Count);
    }

    /// <summary>How many requests a sync keeps in flight against a store without imports (Vault).</summary>
    public const int VaultConcurrency = 8;

    /// <summary>The <c>max_versions</c> to set before writing <paramref name="secret"/> over <paramref name="existing"/>, or null when it already holds.</summary>
    private static int? MaxVersionsChange(SecretDump? existing, SecretDump secret) =>
        (existing is null ? secret.MaxVersions != 0 : existing.MaxVersions != secret.MaxVersions) ? secret.MaxVersions : null;

    private static async Task<Captured> ReadOneAsync(IKeyValueStore store, IKeyValueHistory history, string path, CancellationToken cancellationToken)
    {
        var metadata = await history.ReadMetadataAsync(path, cancellationToken).ConfigureAwait(false);
        if (metadata is null)
        {
            return new Captured(null, 0);
        }

        var read = await store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        if (read.State != KvReadState.Found || read.Data is null)
        {
            // A deleted or destroyed current version holds nothing to restore; its version still tells whether it moved.
            return new Captured(null, read.Version == 0 ? metadata.CurrentVersion : read.Version);
        }

        return new Captured(new SecretDump(path, read.Data, read.Version, metadata.MaxVersions, metadata.CreatedTime, metadata.UpdatedTime), read.Version);
    }

    private readonly record struct Captured(SecretDump? Dump, int Version);
}
