namespace Lyndrix.VaultDouble;

/// <summary>The secrets engine mounts. <c>sys/</c>, <c>cubbyhole/</c> and <c>identity/</c> are always present, as in Vault.</summary>
internal sealed class MountTable
{
    private static readonly string[] Protected = ["sys/", "auth/", "cubbyhole/", "identity/", "audit/"];

    private readonly Dictionary<string, MountEntry> _mounts = new(StringComparer.Ordinal);

    public MountTable()
    {
        Add(MountEntry.Create("cubbyhole/", "cubbyhole", "per-token private secret storage", null));
        Add(MountEntry.Create("identity/", "identity", "identity store", null));
        Add(MountEntry.Create("sys/", "system", "system endpoints used for control, policy and debugging", null));
    }

    public IEnumerable<MountEntry> All => _mounts.Values.OrderBy(m => m.Path, StringComparer.Ordinal);

    public static string Normalize(string path) => path.Trim('/') + "/";

    public MountEntry? Get(string path) => _mounts.GetValueOrDefault(Normalize(path));

    /// <summary>The mount a request path falls under (longest prefix), or null.</summary>
    public MountEntry? Match(string requestPath) =>
        _mounts.Values.Where(m => (requestPath + "/").StartsWith(m.Path, StringComparison.Ordinal))
            .MaxBy(m => m.Path.Length);

    /// <summary>The existing mount that overlaps <paramref name="path"/> in either direction, or null.</summary>
    public MountEntry? Conflict(string path)
    {
        path = Normalize(path);
        return _mounts.Values.FirstOrDefault(m => path.StartsWith(m.Path, StringComparison.Ordinal) || m.Path.StartsWith(path, StringComparison.Ordinal));
    }

    public static bool IsProtected(string path) => Protected.Any(p => Normalize(path).StartsWith(p, StringComparison.Ordinal));

    public void Add(MountEntry entry)
    {
        if (entry.IsKv)
        {
            if (entry.KvVersion == "2")
            {
                entry.KvV2 ??= new KvV2Store();
            }
            else
            {
                entry.KvV1 ??= new KvV1Store();
            }
        }

        _mounts[entry.Path] = entry;
    }

    public void Remove(string path) => _mounts.Remove(Normalize(path));
}
