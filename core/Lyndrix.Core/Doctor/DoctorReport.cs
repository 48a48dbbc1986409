namespace Lyndrix.Core.Doctor;

/// <summary>Every check, and the verdict a script reads from the exit code: 0 healthy, 1 degraded (a warning), 2 failed.</summary>
internal sealed record DoctorReport(IReadOnlyList<DoctorCheck> Checks)
{
    public string Status => Checks.Any(c => c.Status == DoctorCheck.Fail) ? "failed"
        : Checks.Any(c => c.Status == DoctorCheck.Warn) ? "degraded"
        : "healthy";

    public int ExitCode => Status switch
    {
        "failed" => 2,
        "degraded" => 1,
        _ => 0,
    };
}
