using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>
/// The typed Vault HTTP client: the seal lifecycle, mounts, token self-service, AppRole and KV v2. Authenticated calls take
/// their token from <see cref="VaultTokenSession"/> and, when Vault calls the token invalid, log in again once and repeat
/// the call once. Refusals become <see cref="VaultApiException"/>, a seal <see cref="SecretBackendSealedException"/>,
/// connection trouble and 5xx <see cref="SecretBackendUnreachableException"/>.
/// </summary>
internal sealed class VaultClient
{
    private const string UpgradingMessage = "Upgrading from non-versioned to versioned data";

    private readonly VaultTransport _transport;
    private readonly VaultSettings _settings;
    private readonly ILogger _logger;

    public VaultClient(VaultTransport transport, VaultTokenSession session, VaultSettings settings, ILogger logger)
    {
        _transport = transport;
        Session = session;
        _settings = settings;
        _logger = logger;
    }

    public VaultTokenSession Session { get; }

    public Uri BaseAddress => _transport.BaseAddress;

    // ---- Seal lifecycle: unauthenticated, answered while sealed ----

    public async Task<bool> IsInitializedAsync(CancellationToken cancellationToken)
    {
        var response = await SendCheckedAsync(VaultCall.Get("sys/init"), authenticated: false, cancellationToken);
        return response.Json?["initialized"]?.GetValue<bool>() ?? false;
    }

    /// <summary><c>PUT sys/init</c>. Never repeated once sent: a second init would fail and the keys of the first would be lost.
    /// A Shamir seal takes <c>secret_shares</c>/<c>secret_threshold</c>; an auto-unseal seal refuses those (400) and takes
    /// <c>recovery_shares</c>/<c>recovery_threshold</c> instead (<paramref name="autoUnseal"/>), answering with recovery keys.</summary>
    public async Task<VaultInitResponse> InitializeAsync(int shares, int threshold, bool autoUnseal, CancellationToken cancellationToken)
    {
        var body = autoUnseal
            ? new JsonObject { ["recovery_shares"] = shares, ["recovery_threshold"] = threshold }
            : new JsonObject { ["secret_shares"] = shares, ["secret_threshold"] = threshold };
        var call = VaultCall.Put("sys/init", body, VaultRetryKind.UnsafeWrite);
        var response = await SendCheckedAsync(call, authenticated: false, cancellationToken);
        var init = VaultJson.Read<VaultInitResponse>(response.Json, call.Describe());
        _transport.Redactor.Add(init.RootToken);
        foreach (var key in init.Keys.Concat(init.KeysBase64).Concat(init.RecoveryKeys).Concat(init.RecoveryKeysBase64))
        {
            _transport.Redactor.Add(key);
        }

        return init;
    }

    public async Task<VaultSealStatus> GetSealStatusAsync(CancellationToken cancellationToken)
    {
        var call = VaultCall.Get("sys/seal-status");
        var response = await SendCheckedAsync(call, authenticated: false, cancellationToken);
        return VaultJson.Read<VaultSealStatus>(response.Json, call.Describe());
    }

    /// <summary>Submits one unseal key share; the answer carries the progress toward the threshold.</summary>
    public async Task<VaultSealStatus> SubmitUnsealKeyAsync(string key, CancellationToken cancellationToken)
    {
        _transport.Redactor.Add(key);
        var call = VaultCall.Put("sys/unseal", new JsonObject { ["key"] = key }, VaultRetryKind.UnsafeWrite);
        var response = await SendCheckedAsync(call, authenticated: false, cancellationToken);
        return VaultJson.Read<VaultSealStatus>(response.Json, call.Describe());
    }

    public async Task<VaultSealStatus> ResetUnsealAsync(CancellationToken cancellationToken)
    {
        var call = VaultCall.Put("sys/unseal", new JsonObject { ["reset"] = true }, VaultRetryKind.Idempotent);
        var response = await SendCheckedAsync(call, authenticated: false, cancellationToken);
        return VaultJson.Read<VaultSealStatus>(response.Json, call.Describe());
    }

    /// <summary><c>sys/health</c>; every documented status code comes back as an answer with <see cref="VaultHealth.StatusCode"/>.</summary>
    public async Task<VaultHealth> GetHealthAsync(CancellationToken cancellationToken)
    {
        var call = VaultCall.Get("sys/health") with { AcceptAnyStatus = true };
        var response = await _transport.SendAsync(call, token: null, cancellationToken);
        if (response.Json is not JsonObject)
        {
            throw VaultFailures.For(response, call, BaseAddress);
        }

        var health = VaultJson.Read<VaultHealth>(response.Json, call.Describe());
        health.StatusCode = response.StatusCode;
        return health;
    }

    /// <summary><c>PUT sys/seal</c>; needs a root token or <c>sudo</c> on <c>sys/seal</c>.</summary>
    public Task SealAsync(CancellationToken cancellationToken) =>
        SendCheckedAsync(VaultCall.Put("sys/seal", null, VaultRetryKind.Idempotent), authenticated: true, cancellationToken);

    // ---- Mounts ----

    /// <summary><c>GET sys/mounts</c>, read from <c>data</c> (the top-level duplicates are ignored). Keys end in <c>/</c>.</summary>
    public async Task<IReadOnlyDictionary<string, VaultMountInfo>> ListMountsAsync(CancellationToken cancellationToken)
    {
        var response = await SendCheckedAsync(VaultCall.Get("sys/mounts"), authenticated: true, cancellationToken);
        return (response.Data ?? [])
            .Where(p => p.Value is JsonObject)
            .ToDictionary(p => p.Key, p => VaultMountInfo.From((JsonObject)p.Value!), StringComparer.Ordinal);
    }

    /// <summary>The mount at exactly <paramref name="path"/>; null when nothing is mounted there. <c>GET sys/mounts/&lt;path&gt;</c>
    /// answers the mount with the longest prefix of the path (a parent mount for a nested path) without saying which one, so
    /// the answer is checked against the mount's own path before it is believed.</summary>
    public async Task<VaultMountInfo?> GetMountAsync(string path, CancellationToken cancellationToken)
    {
        var call = VaultCall.Get("sys/mounts/" + EscapePath(path));
        var response = await SendAuthenticatedAsync(call, cancellationToken);
        if (response.StatusCode == 400 && response.ErrorsContain("No secret engine mount"))
        {
            return null;
        }

        VaultFailures.ThrowIfFailed(response, call, BaseAddress);
        if (response.Data is not { } data)
        {
            return null;
        }

        var wanted = path.Trim('/') + "/";
        var mount = VaultMountInfo.From(data);
        var matched = mount.Path ?? await MatchedMountPathAsync(wanted, cancellationToken);
        return string.Equals(matched?.Trim('/') + "/", wanted, StringComparison.Ordinal) ? mount with { Path = wanted } : null;
    }

    // Which mount a path falls under: the UI probe names it; a token that may not use the probe may still list the mounts.
    private async Task<string?> MatchedMountPathAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return (await GetUiMountAsync(path, cancellationToken)).Path;
        }
        catch (VaultApiException e) when (e.IsPermissionDenied)
        {
            var mounts = await ListMountsAsync(cancellationToken);
            return mounts.ContainsKey(path) ? path : null;
        }
    }

    /// <summary>Enables a KV version 2 engine. Returns false when the path is already in use (400 or 409), which the caller
    /// must then inspect: it may be a different engine.</summary>
    public async Task<bool> EnableKvV2Async(string path, string description, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["type"] = "kv",
            ["description"] = description,
            ["options"] = new JsonObject { ["version"] = "2" },
        };
        // Enabling twice cannot do harm (the second gets "already in use"), so it may be repeated.
        var call = VaultCall.Post("sys/mounts/" + EscapePath(path), body, VaultRetryKind.SafeWrite);
        var response = await SendAuthenticatedAsync(call, cancellationToken);
        if (response.StatusCode is 400 or 409 && (response.ErrorsContain("already in use") || response.ErrorsContain("existing mount")))
        {
            return false;
        }

        VaultFailures.ThrowIfFailed(response, call, BaseAddress);
        return true;
    }

    /// <summary><c>GET sys/internal/ui/mounts/&lt;path&gt;</c>: the mount probe that works for scoped tokens (403 when the mount
    /// is missing or the token has nothing under it).</summary>
    public async Task<VaultMountInfo> GetUiMountAsync(string path, CancellationToken cancellationToken)
    {
        var call = VaultCall.Get("sys/internal/ui/mounts/" + EscapePath(path));
        var response = await SendCheckedAsync(call, authenticated: true, cancellationToken);
        return VaultMountInfo.From(response.Data ?? throw new InvalidDataException($"Vault's answer to {call.Describe()} has no data."));
    }

    // ---- Tokens and AppRole ----

    public async Task<VaultTokenInfo> LookupSelfAsync(CancellationToken cancellationToken)
    {
        var call = VaultCall.Get("auth/token/lookup-self");
        var response = await SendCheckedAsync(call, authenticated: true, cancellationToken);
        return VaultJson.Read<VaultTokenInfo>(response.Data, call.Describe());
    }

    public Task<VaultAuthLease> RenewSelfAsync(CancellationToken cancellationToken) => Session.RenewAsync(cancellationToken);

    public Task<VaultAuthLease> LogInWithAppRoleAsync(CancellationToken cancellationToken) => Session.LogInAsync(cancellationToken);

    // ---- KV v2 ----

    public async Task<KvSecretRead> ReadKvAsync(string mount, string path, int? version, CancellationToken cancellationToken)
    {
        var query = version is > 0 ? $"?version={version}" : "";
        var call = VaultCall.Get(KvPath(mount, "data", path) + query);
        // Everything kept from the answer is copied out of it (strings, metadata) before its buffers go back to the pool.
        using var response = await SendKvAsync(call, cancellationToken);
        switch (response.StatusCode)
        {
            case 200:
                // Read from the parsed body directly: no node tree, no re-serialization of the metadata.
                var data = response.DataElement ?? throw new InvalidDataException($"Vault's answer to {call.Describe()} has no data.");
                var values = data.TryGetProperty("data"u8, out var fields) && fields.ValueKind == JsonValueKind.Object
                    ? KvFieldStrings.Read(fields)
                    : new Dictionary<string, string>(StringComparer.Ordinal);
                var versionMetadata = data.TryGetProperty("metadata"u8, out var metadataElement) ? metadataElement : (JsonElement?)null;
                var read = versionMetadata is { } m && KvVersionMetadata.TryReadCommonShape(m, out var common)
                    ? common
                    : VaultJson.Read<KvVersionMetadata>(versionMetadata, call.Describe());
                return new KvSecretRead.Found(values, read);
            case 404 when (response.Data?["metadata"]) is JsonObject metadata:
                var meta = VaultJson.Read<KvVersionMetadata>(metadata, call.Describe());
                return meta.Destroyed ? new KvSecretRead.Destroyed(meta) : new KvSecretRead.SoftDeleted(meta);
            case 404 when response.Warnings.Count > 0:
                // The warnings-only 404: the path is not a KV v2 data path (for instance the mount is not KV v2).
                throw new VaultApiException(call.Describe(), 404, response.Errors, response.Warnings,
                    $"Vault does not serve {call.Describe()} as a KV version 2 secret: {string.Join("; ", response.Warnings)}");
            case 404:
                return KvSecretRead.NotFound.Instance;
            default:
                throw VaultFailures.For(response, call, BaseAddress);
        }
    }

    /// <summary>Writes a new version. <paramref name="cas"/> 0 means "create only"; null writes unconditionally.
    /// Throws <see cref="KvCasMismatchException"/> when check-and-set fails.</summary>
    public async Task<KvVersionMetadata> WriteKvAsync(string mount, string path, JsonObject data, int? cas, CancellationToken cancellationToken)
    {
        var body = new JsonObject();
        if (cas is not null)
        {
            body["options"] = new JsonObject { ["cas"] = cas.Value };
        }

        body["data"] = data.DeepClone();
        var call = VaultCall.Post(KvPath(mount, "data", path), body, cas is null ? VaultRetryKind.UnsafeWrite : VaultRetryKind.SafeWrite);
        return await SendKvWriteAsync(call, path, cancellationToken);
    }

    /// <summary>JSON merge patch of the latest version (<c>null</c> removes a field). The secret must exist and not be deleted.</summary>
    public async Task<KvVersionMetadata> PatchKvAsync(string mount, string path, JsonObject patch, int? cas, CancellationToken cancellationToken)
    {
        var body = new JsonObject();
        if (cas is not null)
        {
            body["options"] = new JsonObject { ["cas"] = cas.Value };
        }

        body["data"] = patch.DeepClone();
        var call = new VaultCall(HttpMethod.Patch, KvPath(mount, "data", path))
        {
            Body = body,
            ContentType = "application/merge-patch+json",
            Retry = cas is null ? VaultRetryKind.UnsafeWrite : VaultRetryKind.SafeWrite,
        };
        return await SendKvWriteAsync(call, path, cancellationToken);
    }

    /// <summary>Soft-deletes the latest version (undoable). Vault answers 204 whether or not anything existed.</summary>
    public async Task DeleteKvLatestAsync(string mount, string path, CancellationToken cancellationToken)
    {
        var call = VaultCall.Delete(KvPath(mount, "data", path));
        VaultFailures.ThrowIfFailed(await SendKvAsync(call, cancellationToken), call, BaseAddress);
    }

    /// <summary>Deletes every version and the metadata for good.</summary>
    public async Task DeleteKvMetadataAsync(string mount, string path, CancellationToken cancellationToken)
    {
        var call = VaultCall.Delete(KvPath(mount, "metadata", path));
        VaultFailures.ThrowIfFailed(await SendKvAsync(call, cancellationToken), call, BaseAddress);
    }

    /// <summary>Soft-deletes (<c>delete</c>), restores (<c>undelete</c>) or destroys (<c>destroy</c>) versions. Repeating it changes
    /// nothing more, so it is retried like a safe write.</summary>
    public async Task ChangeKvVersionsAsync(string mount, string operation, string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken)
    {
        if (operation is not ("delete" or "undelete" or "destroy"))
        {
            throw new ArgumentException($"'{operation}' is not a KV v2 version operation.", nameof(operation));
        }

        var body = new JsonObject { ["versions"] = new JsonArray(versions.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()) };
        var call = VaultCall.Post(KvPath(mount, operation, path), body, VaultRetryKind.SafeWrite);
        VaultFailures.ThrowIfFailed(await SendKvAsync(call, cancellationToken), call, BaseAddress);
    }

    /// <summary>Sets the key's <c>max_versions</c> (creating its metadata when the key does not exist yet).</summary>
    public async Task WriteKvMaxVersionsAsync(string mount, string path, int maxVersions, CancellationToken cancellationToken)
    {
        var call = VaultCall.Post(KvPath(mount, "metadata", path), new JsonObject { ["max_versions"] = maxVersions }, VaultRetryKind.SafeWrite);
        VaultFailures.ThrowIfFailed(await SendKvAsync(call, cancellationToken), call, BaseAddress);
    }

    /// <summary>Key metadata, or null when the key does not exist.</summary>
    public async Task<KvSecretMetadata?> ReadKvMetadataAsync(string mount, string path, CancellationToken cancellationToken)
    {
        var call = VaultCall.Get(KvPath(mount, "metadata", path));
        var response = await SendKvAsync(call, cancellationToken);
        if (response.StatusCode == 404 && response.Warnings.Count == 0)
        {
            return null;
        }

        VaultFailures.ThrowIfFailed(response, call, BaseAddress);
        return VaultJson.Read<KvSecretMetadata>(response.Data, call.Describe());
    }

    /// <summary>Keys directly under a prefix; sub-folders end in <c>/</c>. Vault's 404 for an empty prefix is an empty list.</summary>
    public async Task<IReadOnlyList<string>> ListKvAsync(string mount, string prefix, CancellationToken cancellationToken)
    {
        var folder = prefix.Length == 0 ? "" : EscapePath(prefix.TrimEnd('/')) + "/";
        var call = VaultCall.Get($"{EscapePath(mount)}/metadata/{folder}?list=true");
        var response = await SendKvAsync(call, cancellationToken);
        if (response.StatusCode == 404 && response.Warnings.Count == 0)
        {
            return [];
        }

        VaultFailures.ThrowIfFailed(response, call, BaseAddress);
        return (response.Data?["keys"] as JsonArray)?.Select(k => k?.ToString() ?? "").ToArray() ?? [];
    }

    private async Task<KvVersionMetadata> SendKvWriteAsync(VaultCall call, string path, CancellationToken cancellationToken)
    {
        var response = await SendKvAsync(call, cancellationToken);
        if (response.StatusCode == 400 && response.ErrorsContain("check-and-set parameter did not match"))
        {
            throw new KvCasMismatchException(path);
        }

        if (response.StatusCode == 404 && call.Method == HttpMethod.Patch && response.Warnings.Count == 0)
        {
            var state = response.Data is null ? "does not exist" : response.Data["destroyed"]?.GetValue<bool>() == true ? "is destroyed" : "is deleted";
            throw new VaultApiException(call.Describe(), 404, response.Errors, response.Warnings,
                $"Cannot patch {path}: the secret {state}. A patch only changes the latest live version; write the whole secret instead.");
        }

        VaultFailures.ThrowIfFailed(response, call, BaseAddress);
        return VaultJson.Read<KvVersionMetadata>(response.Data, call.Describe());
    }

    // Right after a KV v2 mount is enabled the engine upgrades its storage and answers 400 "Upgrading ..." for a moment.
    private Task<VaultResponse> SendKvAsync(VaultCall call, CancellationToken cancellationToken) =>
        SendAuthenticatedAsync(call, cancellationToken, waitForKvUpgrade: true);

    private async Task<VaultResponse> SendCheckedAsync(VaultCall call, bool authenticated, CancellationToken cancellationToken)
    {
        var response = authenticated
            ? await SendAuthenticatedAsync(call, cancellationToken)
            : await _transport.SendAsync(call, token: null, cancellationToken);
        VaultFailures.ThrowIfFailed(response, call, BaseAddress);
        return response;
    }

    /// <param name="waitForKvUpgrade">For KV calls: repeat the call while the mount answers 400 "Upgrading ..." (see
    /// <see cref="SendKvAsync"/>), up to <c>KvUpgradeWait</c>. In this method rather than around it, so the hot KV read path
    /// runs one async method less.</param>
    private async Task<VaultResponse> SendAuthenticatedAsync(VaultCall call, CancellationToken cancellationToken, bool waitForKvUpgrade = false)
    {
        var waited = TimeSpan.Zero;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var token = await Session.GetTokenAsync(cancellationToken);
            var response = await _transport.SendAsync(call, token, cancellationToken);
            if (response.StatusCode == 403 && LooksLikeBadToken(response) && await Session.ReplaceRejectedTokenAsync(token, cancellationToken))
            {
                response = await _transport.SendAsync(call, await Session.GetTokenAsync(cancellationToken), cancellationToken);
            }

            if (!waitForKvUpgrade || response.StatusCode != 400 || !response.ErrorsContain(UpgradingMessage) || waited >= _settings.KvUpgradeWait)
            {
                return response;
            }

            _logger.LogDebug("KV mount is upgrading its storage; {Call} retried in {Delay} ms.", call.Describe(), (long)delay.TotalMilliseconds);
            response.Dispose();
            await Task.Delay(delay, cancellationToken);
            waited += delay;
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    // Current Vault says "invalid token"; older Vault says only "permission denied" for a bad token, while a policy refusal
    // there and everywhere else reads "1 error occurred: * permission denied". The bare form is ambiguous, so it earns one
    // fresh login too (when credentials allow one).
    private static bool LooksLikeBadToken(VaultResponse response) =>
        response.ErrorsContain("invalid token") || response.Errors is ["permission denied"];

    public static string KvPath(string mount, string sub, string path) => $"{EscapePath(mount)}/{sub}/{EscapePath(ValidateKvPath(path))}";

    /// <summary>Escapes each segment so a key cannot smuggle <c>?</c>, <c>#</c> or <c>%</c> into the URL.</summary>
    public static string EscapePath(string path)
    {
        // Nearly every path is made of unreserved characters only, which escaping leaves as they are.
        if (!path.AsSpan().ContainsAnyExcept(UnescapedPathChars))
        {
            return path;
        }

        return string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
    }

    // RFC 3986 unreserved characters (what Uri.EscapeDataString keeps) and the segment separator.
    private static readonly SearchValues<char> UnescapedPathChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/");

    private static string ValidateKvPath(string path)
    {
        if (!IsValidKvPath(path))
        {
            throw new ArgumentException($"'{path}' is not a valid KV secret path: use segments separated by single '/', without '.', '..', " +
                                        "control characters or leading/trailing '/'.", nameof(path));
        }

        return path;
    }

    // Segments separated by single '/', none empty, "." or "..", and no control characters; written as a loop because it runs on every call.
    private static bool IsValidKvPath(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        var segmentStart = 0;
        for (var i = 0; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] != '/')
            {
                if (char.IsControl(path[i]))
                {
                    return false;
                }

                continue;
            }

            var segment = path.AsSpan(segmentStart, i - segmentStart);
            if (segment.IsEmpty || segment is "." or "..")
            {
                return false;
            }

            segmentStart = i + 1;
        }

        return true;
    }
}
