namespace Lyndrix.Core.Secrets.Vault;

/// <summary>Where the token in use came from; error messages name it so an operator knows what to fix.</summary>
internal enum VaultTokenOrigin
{
    /// <summary><c>VAULT_TOKEN</c>.</summary>
    EnvironmentToken,

    /// <summary>AppRole login with <c>VAULT_ROLE_ID</c>/<c>VAULT_SECRET_ID</c>.</summary>
    AppRole,

    /// <summary>The root token kept in <c>vault_keys.enc</c> since initialization.</summary>
    RootToken,
}
