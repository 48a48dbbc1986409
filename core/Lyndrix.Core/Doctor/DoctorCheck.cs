namespace Lyndrix.Core.Doctor;

/// <summary>One line of the report: what was checked, how it stands (<see cref="Ok"/>, <see cref="Warn"/>, <see cref="Fail"/>,
/// <see cref="Skipped"/>), what was found and, unless it is fine, what to do.</summary>
internal sealed record DoctorCheck(string Name, string Status, string Message, string? Fix = null)
{
    public const string Ok = "ok";
    public const string Warn = "warn";
    public const string Fail = "fail";
    public const string Skipped = "skipped";

    public static DoctorCheck Passed(string name, string message) => new(name, Ok, message);

    public static DoctorCheck Failed(string name, string message, string fix) => new(name, Fail, message, fix);

    public static DoctorCheck Warning(string name, string message, string fix) => new(name, Warn, message, fix);

    public static DoctorCheck Skip(string name, string why) => new(name, Skipped, why);
}
