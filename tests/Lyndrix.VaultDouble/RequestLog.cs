namespace Lyndrix.VaultDouble;

/// <summary>Every request one double received, in arrival order.</summary>
public sealed class RequestLog
{
    private readonly List<LoggedRequest> _entries = [];

    public IReadOnlyList<LoggedRequest> All
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Requests whose path (below <c>/v1/</c>) is exactly <paramref name="path"/>.</summary>
    public IReadOnlyList<LoggedRequest> To(string path) => All.Where(r => r.Path == "/v1/" + path).ToArray();

    public void Clear()
    {
        lock (_entries)
        {
            _entries.Clear();
        }
    }

    internal void Add(LoggedRequest entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }
}
