namespace Lyndrix.Core.Data;

/// <summary>TLS use towards MariaDB (<c>DB_SSL_MODE</c>).</summary>
internal enum DatabaseSslMode
{
    /// <summary>Plain TCP.</summary>
    None,

    /// <summary>TLS when the server offers it, without certificate checks (the driver's default).</summary>
    Preferred,

    /// <summary>TLS or fail; the certificate is not verified.</summary>
    Required,

    /// <summary>TLS with the certificate verified against <c>DB_SSL_CA</c> (or the system store).</summary>
    VerifyCa,

    /// <summary>As <see cref="VerifyCa"/>, and the certificate must name <c>DB_HOST</c>.</summary>
    VerifyFull,
}
