namespace Lyndrix.Core.Secrets.Lifecycle;

internal enum MasterKeyOrigin
{
    /// <summary>No master key: init and unseal wait for an operator.</summary>
    None,

    /// <summary><c>LYNDRIX_MASTER_KEY</c>.</summary>
    Environment,

    /// <summary>A key generated into SECURITY_DIR because ENV_TYPE=dev (embedded backend only).</summary>
    DevelopmentFile,
}
