namespace Lyndrix.VaultDouble;

/// <summary>What a node answers on <c>sys/health</c> once unsealed.</summary>
public enum HealthRole
{
    Active,
    Standby,
    PerformanceStandby,
    DrSecondary,
}
