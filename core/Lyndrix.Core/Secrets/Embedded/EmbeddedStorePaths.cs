namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>The files of an embedded store under SECURITY_DIR.</summary>
internal sealed record EmbeddedStorePaths(string KeyFile, string Database, string LegacyFile, string Mark)
{
    public const string DatabaseFileName = "embedded_secrets.db";
    public const string LegacyFileName = "embedded_secrets.json";
    public const string MarkFileName = "embedded_secrets.mark";

    public static EmbeddedStorePaths In(string securityDir, string keyFileName = Lyndrix.Core.Secrets.KeyFile.VaultKeyFile.FileName)
    {
        var dir = Path.GetFullPath(securityDir);
        return new(Path.Combine(dir, keyFileName), Path.Combine(dir, DatabaseFileName), Path.Combine(dir, LegacyFileName), Path.Combine(dir, MarkFileName));
    }
}
