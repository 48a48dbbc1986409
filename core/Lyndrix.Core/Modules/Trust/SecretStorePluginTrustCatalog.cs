using System.Text.Json;
using Lyndrix.Core.Secrets;

namespace Lyndrix.Core.Modules.Trust;

/// <summary>
/// The catalog kept in the secret store (like Vault's plugin catalog), at <c>core/plugin-trust/&lt;id&gt;</c> in mount
/// <c>lyndrix</c>: someone who can write to <c>PLUGINS_DIR</c> cannot add a pin, and every host of a cluster sees the
/// same pins. Plugins cannot reach it: their scopes are <c>plugins/&lt;id&gt;</c>.
/// </summary>
internal sealed class SecretStorePluginTrustCatalog(Func<IKeyValueStore> store, TimeProvider time) : IPluginTrustCatalog
{
    public const string PathPrefix = "core/plugin-trust/";

    public async Task<PluginFolderDigest?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var read = await store().ReadAsync(PathFor(id), cancellationToken).ConfigureAwait(false);
        if (read.State != KvReadState.Found || read.Data is null ||
            !read.Data.TryGetValue("version", out var version) || !read.Data.TryGetValue("files", out var files))
        {
            return null;
        }

        var list = JsonSerializer.Deserialize<List<PluginFileDigest>>(files, Json) ?? [];
        return new PluginFolderDigest(id, version, list);
    }

    public async Task SetAsync(PluginFolderDigest digest, CancellationToken cancellationToken) =>
        await store().WriteAsync(PathFor(digest.Id), new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["version"] = digest.Version,
            ["files"] = JsonSerializer.Serialize(digest.Files, Json),
            ["pinned_at"] = time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        }, cas: null, cancellationToken).ConfigureAwait(false);

    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        var path = PathFor(id);
        var read = await store().ReadAsync(path, cancellationToken).ConfigureAwait(false);
        if (read.State == KvReadState.NotFound)
        {
            return false;
        }

        await store().DeleteAsync(path, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static string PathFor(string id) =>
        PluginManifestReader.IsValidId(id) ? PathPrefix + id : throw new ArgumentException($"'{id}' is not a plugin id.", nameof(id));
}
