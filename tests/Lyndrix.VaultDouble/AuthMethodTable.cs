namespace Lyndrix.VaultDouble;

/// <summary>Enabled auth methods. <c>token/</c> is always there; AppRole can be enabled at any path.</summary>
internal sealed class AuthMethodTable
{
    private readonly Dictionary<string, Dictionary<string, AppRole>> _appRoleMounts = new(StringComparer.Ordinal);

    public IEnumerable<string> AppRoleMountPaths => _appRoleMounts.Keys;

    public bool IsEnabled(string path) => path == "token/" || _appRoleMounts.ContainsKey(path);

    public void EnableAppRole(string path) => _appRoleMounts[path] = new Dictionary<string, AppRole>(StringComparer.Ordinal);

    public void Disable(string path) => _appRoleMounts.Remove(path);

    /// <summary>The roles of the AppRole mount at <paramref name="path"/> (ending in <c>/</c>), or null.</summary>
    public Dictionary<string, AppRole>? AppRoles(string path) => _appRoleMounts.GetValueOrDefault(path);
}
