namespace Lyndrix.VaultDouble;

/// <summary>How a 403 for an unknown, expired or revoked token is rendered. Vault versions differ (reference §2, §11), so tests
/// can check the client copes with each.</summary>
public enum InvalidTokenStyle
{
    /// <summary><c>{"errors":["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"]}</c></summary>
    MultiError,

    /// <summary><c>{"errors":["permission denied","invalid token"]}</c></summary>
    TwoEntries,

    /// <summary>Older Vault: <c>{"errors":["permission denied"]}</c>.</summary>
    PlainPermissionDenied,
}
