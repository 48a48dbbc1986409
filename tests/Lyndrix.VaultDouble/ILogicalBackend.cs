namespace Lyndrix.VaultDouble;

/// <summary>A backend behind the router (a secrets engine, the system backend, an auth method). Paths are relative to its mount.</summary>
internal interface ILogicalBackend
{
    /// <summary>Whether the target of a write exists, which makes it an update rather than a create for the ACL check;
    /// null when the path has no existence check (writes are then updates, as in Vault).</summary>
    bool? Exists(string relativePath);

    /// <summary>Root-protected paths need <c>sudo</c> in addition to the operation's capability.</summary>
    bool RequiresSudo(string relativePath);

    /// <summary>Paths served without a token (logins, the public mount listing).</summary>
    bool IsUnauthenticated(string relativePath);

    VaultReply Handle(VaultRequestContext request, string relativePath);
}
