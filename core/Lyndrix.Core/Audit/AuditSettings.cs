using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Audit;

/// <summary><c>LYNDRIX_AUDIT_RETENTION_DAYS</c> (365; 0 keeps every record).</summary>
internal sealed record AuditSettings(int RetentionDays)
{
    public static AuditSettings Read(HostSettings host)
    {
        var r = new SettingsReader(host.Source, AppContext.BaseDirectory);
        var settings = new AuditSettings(r.Int("LYNDRIX_AUDIT_RETENTION_DAYS", 365, 0, 36500));
        r.ThrowIfInvalid();
        return settings;
    }
}
