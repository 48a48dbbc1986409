namespace Lyndrix.Plugins.Oidc;

/// <summary>How the client authenticates at the token endpoint (OpenID Connect Core §9, RFC 6749 §2.3.1).</summary>
internal enum OidcClientAuthMethod
{
    /// <summary>A public client: no secret; <c>client_id</c> in the form, PKCE binds the code.</summary>
    None,

    /// <summary>HTTP Basic with the form-encoded client id and secret; the spec's default.</summary>
    ClientSecretBasic,

    /// <summary><c>client_id</c> and <c>client_secret</c> in the form body.</summary>
    ClientSecretPost,
}
