using Lyndrix.Core.Secrets;

namespace Lyndrix.Core.Tests.Secrets.Support;

/// <summary>KV v2 semantics in memory, with a hook to inject a competing write just before a write lands (a conflict from
/// another process that no in-process lock can prevent).</summary>
internal sealed class InMemoryKeyValueStore : IKeyValueStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (int Version, Dictionary<string, string> Data)> _secrets = new(StringComparer.Ordinal);

    public Func<string, int?, Task>? BeforeWrite { get; set; }

    public int Writes { get; private set; }

    public int Conflicts { get; private set; }

    public Task<KvReadResult> ReadAsync(string path, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_secrets.TryGetValue(path, out var s)
                ? new KvReadResult(KvReadState.Found, new Dictionary<string, string>(s.Data), s.Version)
                : KvReadResult.NotFound);
        }
    }

    public async Task<int> WriteAsync(string path, IReadOnlyDictionary<string, string> data, int? cas, CancellationToken cancellationToken)
    {
        if (BeforeWrite is { } hook)
        {
            await hook(path, cas);
        }

        lock (_gate)
        {
            var current = _secrets.TryGetValue(path, out var s) ? s.Version : 0;
            if (cas is { } expected && expected != current)
            {
                Conflicts++;
                throw new KvCasMismatchException(path);
            }

            _secrets[path] = (current + 1, new Dictionary<string, string>(data));
            Writes++;
            return current + 1;
        }
    }

    /// <summary>A write by "another process": bypasses every lock and hook.</summary>
    public void ExternalSet(string path, string key, string value)
    {
        lock (_gate)
        {
            var (version, data) = _secrets.TryGetValue(path, out var s) ? s : (0, new Dictionary<string, string>());
            var copy = new Dictionary<string, string>(data) { [key] = value };
            _secrets[path] = (version + 1, copy);
        }
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _secrets.Remove(path);
        }

        return Task.CompletedTask;
    }
}
