using System.Text.Json.Nodes;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary><see cref="IKeyValueStore"/> over the KV v2 engine at the <c>lyndrix</c> mount. A 403 becomes
/// <see cref="SecretBackendAuthException"/> naming the path and the policy it needs.</summary>
internal sealed class VaultKeyValueStore(VaultClient client, string mount, Func<bool> isOpen) : IKeyValueStore, IKeyValueHistory, IKeyValueListing
{
    public async Task<IReadOnlyList<string>> ListPathsAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        var paths = new List<string>();
        var folders = new Stack<string>([""]);
        while (folders.TryPop(out var folder))
        {
            var keys = await Guard(() => client.ListKvAsync(mount, folder, cancellationToken), "list", "metadata", folder.Length == 0 ? "" : folder);
            foreach (var key in keys)
            {
                if (key.EndsWith('/'))
                {
                    folders.Push(folder + key);
                }
                else
                {
                    paths.Add(folder + key);
                }
            }
        }

        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    public async Task<IReadOnlyList<string>> ListFolderAsync(string folder, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var keys = await Guard(() => client.ListKvAsync(mount, folder, cancellationToken), "list", "metadata", folder);
        return keys.Order(StringComparer.Ordinal).ToList();
    }

    public Task<KvReadResult> ReadAsync(string path, CancellationToken cancellationToken) => ReadAsync(path, null, cancellationToken);

    public Task<KvReadResult> ReadVersionAsync(string path, int version, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(version);
        return ReadAsync(path, version, cancellationToken);
    }

    public async Task<KvMetadata?> ReadMetadataAsync(string path, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var metadata = await Guard(() => client.ReadKvMetadataAsync(mount, path, cancellationToken), "read", "metadata", path);
        if (metadata is null)
        {
            return null;
        }

        var versions = metadata.Versions.OrderBy(v => v.Key)
            .Select(v => new KvVersionInfo(v.Key, VaultJson.ParseTime(v.Value.CreatedTimeText), VaultJson.ParseTime(v.Value.DeletionTimeText), v.Value.Destroyed))
            .ToList();
        return new KvMetadata(metadata.CurrentVersion, versions.Count > 0 ? versions[0].Version : 0, metadata.MaxVersions,
            VaultJson.ParseTime(metadata.CreatedTimeText), VaultJson.ParseTime(metadata.UpdatedTimeText), versions);
    }

    public Task DeleteVersionsAsync(string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken) =>
        ChangeVersionsAsync("delete", path, versions, cancellationToken);

    public Task UndeleteVersionsAsync(string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken) =>
        ChangeVersionsAsync("undelete", path, versions, cancellationToken);

    public Task DestroyVersionsAsync(string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken) =>
        ChangeVersionsAsync("destroy", path, versions, cancellationToken);

    public async Task SetMaxVersionsAsync(string path, int maxVersions, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxVersions);
        EnsureOpen();
        await Guard(async () =>
        {
            await client.WriteKvMaxVersionsAsync(mount, path, maxVersions, cancellationToken);
            return 0;
        }, "update", "metadata", path);
    }

    private async Task ChangeVersionsAsync(string operation, string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(versions);
        if (versions.Count == 0)
        {
            throw new ArgumentException("No version number provided.", nameof(versions));
        }

        EnsureOpen();
        await Guard(async () =>
        {
            await client.ChangeKvVersionsAsync(mount, operation, path, versions, cancellationToken);
            return 0;
        }, "update", operation, path);
    }

    // Not through Guard: reads are the hot path, so no closure and one state machine less; the same refusals are translated.
    private async Task<KvReadResult> ReadAsync(string path, int? version, CancellationToken cancellationToken)
    {
        EnsureOpen();
        KvSecretRead read;
        try
        {
            read = await client.ReadKvAsync(mount, path, version, cancellationToken);
        }
        catch (VaultApiException e) when (Refusal(e, "read", "data", path) is { } refusal)
        {
            throw refusal;
        }

        return read switch
        {
            KvSecretRead.Found found => new KvReadResult(KvReadState.Found, found.Data, found.Metadata.Version),
            KvSecretRead.SoftDeleted deleted => new KvReadResult(KvReadState.SoftDeleted, null, deleted.Metadata.Version),
            KvSecretRead.Destroyed destroyed => new KvReadResult(KvReadState.Destroyed, null, destroyed.Metadata.Version),
            _ => KvReadResult.NotFound,
        };
    }

    public async Task<int> WriteAsync(string path, IReadOnlyDictionary<string, string> data, int? cas, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var json = new JsonObject(data.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        var written = await Guard(() => client.WriteKvAsync(mount, path, json, cas, cancellationToken), cas == 0 ? "create" : "update", "data", path);
        return written.Version;
    }

    public async Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        EnsureOpen();
        await Guard(async () =>
        {
            await client.DeleteKvMetadataAsync(mount, path, cancellationToken);
            return 0;
        }, "delete", "metadata", path);
    }

    private void EnsureOpen()
    {
        if (!isOpen())
        {
            throw new InvalidOperationException("The Vault secret store is not open yet: it can be used after vault:opened.");
        }
    }

    private async Task<T> Guard<T>(Func<Task<T>> action, string capability, string sub, string path)
    {
        try
        {
            return await action();
        }
        catch (VaultApiException e) when (Refusal(e, capability, sub, path) is { } refusal)
        {
            throw refusal;
        }
    }

    /// <summary>What a refused token or policy means for the caller; null for any other Vault refusal.</summary>
    private SecretBackendAuthException? Refusal(VaultApiException e, string capability, string sub, string path)
    {
        if (e.IsInvalidToken)
        {
            return new SecretBackendAuthException(
                $"Vault rejected the token (invalid, expired or revoked) on {capability} of {mount}/{sub}/{path}, and logging in again was not " +
                "possible. Provide a valid VAULT_TOKEN, or configure VAULT_ROLE_ID and VAULT_SECRET_ID so Lyndrix can log in by itself.", e);
        }

        if (e.IsPermissionDenied)
        {
            return new SecretBackendAuthException(
                $"Vault refused to {capability} {mount}/{sub}/{path} (403). The token needs '{capability}' on \"{mount}/{sub}/*\" in its policy " +
                $"(for Lyndrix: create, read, update, patch and delete on {mount}/data/*; read, list and delete on {mount}/metadata/*).", e);
        }

        return null;
    }
}
