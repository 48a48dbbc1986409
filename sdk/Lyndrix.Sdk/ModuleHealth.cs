namespace Lyndrix.Sdk;

/// <summary>Health states, ordered from best to worst.</summary>
public enum HealthStatus
{
    /// <summary>Working normally.</summary>
    Ok = 0,
    /// <summary>No information.</summary>
    Unknown = 1,
    /// <summary>Working with reduced function.</summary>
    Degraded = 2,
    /// <summary>Not working.</summary>
    Error = 3,
}

/// <summary>A module's health report.</summary>
/// <param name="Status">The overall state.</param>
/// <param name="Message">A short explanation for operators; never include secrets.</param>
public sealed record ModuleHealth(HealthStatus Status, string? Message = null)
{
    /// <summary>A healthy report without a message.</summary>
    public static ModuleHealth Ok { get; } = new(HealthStatus.Ok);
}
