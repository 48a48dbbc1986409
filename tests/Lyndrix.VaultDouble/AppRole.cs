namespace Lyndrix.VaultDouble;

/// <summary>An AppRole role: its role ID, token settings and secret ID rules.</summary>
internal sealed class AppRole
{
    public required string Name { get; init; }

    public string RoleId { get; set; } = Guid.NewGuid().ToString();

    public List<string> TokenPolicies { get; set; } = [];

    public TimeSpan TokenTtl { get; set; }

    public TimeSpan TokenMaxTtl { get; set; }

    public int TokenNumUses { get; set; }

    public TimeSpan SecretIdTtl { get; set; }

    public int SecretIdNumUses { get; set; }

    public bool BindSecretId { get; set; } = true;

    /// <summary>Secret IDs by value.</summary>
    public Dictionary<string, AppRoleSecretId> SecretIds { get; } = new(StringComparer.Ordinal);
}
