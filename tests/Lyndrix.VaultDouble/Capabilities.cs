namespace Lyndrix.VaultDouble;

/// <summary>ACL capabilities of a policy path rule.</summary>
[Flags]
public enum Capabilities
{
    None = 0,
    Deny = 1,
    Create = 2,
    Read = 4,
    Update = 8,
    Delete = 16,
    List = 32,
    Sudo = 64,
    Patch = 128,
}
