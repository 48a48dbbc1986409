namespace Lyndrix.Core.Secrets;

/// <summary>KV v2 semantics over mount <c>lyndrix</c>: versioned whole-map writes with check-and-set.</summary>
internal interface IKeyValueStore
{
    /// <summary>Reads the latest version. Missing, soft-deleted and destroyed secrets are told apart.</summary>
    Task<KvReadResult> ReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>Writes a new version. <paramref name="cas"/> 0 means "create only"; null writes unconditionally.
    /// Throws <see cref="KvCasMismatchException"/> when the current version differs.</summary>
    /// <returns>The new version number.</returns>
    Task<int> WriteAsync(string path, IReadOnlyDictionary<string, string> data, int? cas, CancellationToken cancellationToken);

    /// <summary>Deletes every version and the metadata.</summary>
    Task DeleteAsync(string path, CancellationToken cancellationToken);
}

internal enum KvReadState
{
    Found,
    NotFound,
    SoftDeleted,
    Destroyed,
}

/// <param name="Version">The version read, or the current version for deleted/destroyed secrets; 0 when not found.</param>
internal sealed record KvReadResult(KvReadState State, IReadOnlyDictionary<string, string>? Data, int Version)
{
    public static KvReadResult NotFound { get; } = new(KvReadState.NotFound, null, 0);
}

internal sealed class KvCasMismatchException(string path) : Exception($"check-and-set parameter did not match the current version of '{path}'");
