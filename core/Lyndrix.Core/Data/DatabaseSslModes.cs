namespace Lyndrix.Core.Data;

/// <summary>The spellings of <c>DB_SSL_MODE</c>.</summary>
internal static class DatabaseSslModes
{
    private static readonly (string Name, DatabaseSslMode Mode)[] All =
    [
        ("none", DatabaseSslMode.None), ("disabled", DatabaseSslMode.None),
        ("preferred", DatabaseSslMode.Preferred),
        ("required", DatabaseSslMode.Required),
        ("verify_ca", DatabaseSslMode.VerifyCa), ("verifyca", DatabaseSslMode.VerifyCa),
        ("verify_full", DatabaseSslMode.VerifyFull), ("verifyfull", DatabaseSslMode.VerifyFull), ("verify_identity", DatabaseSslMode.VerifyFull),
    ];

    public const string Names = "none, preferred, required, verify_ca, verify_full";

    public static bool TryParse(string raw, out DatabaseSslMode mode)
    {
        var key = raw.Trim().Replace('-', '_').ToLowerInvariant();
        foreach (var (name, value) in All)
        {
            if (name == key)
            {
                mode = value;
                return true;
            }
        }

        mode = DatabaseSslMode.Preferred;
        return false;
    }

    public static string Name(DatabaseSslMode mode) => mode switch
    {
        DatabaseSslMode.None => "none",
        DatabaseSslMode.Preferred => "preferred",
        DatabaseSslMode.Required => "required",
        DatabaseSslMode.VerifyCa => "verify_ca",
        _ => "verify_full",
    };

    /// <summary>Whether the mode refuses a connection without TLS.</summary>
    public static bool RequiresTls(DatabaseSslMode mode) => mode is DatabaseSslMode.Required or DatabaseSslMode.VerifyCa or DatabaseSslMode.VerifyFull;
}
