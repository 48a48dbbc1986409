using System.Text.Json.Serialization;

namespace Lyndrix.Core.Doctor;

/// <summary>The report as it travels (HTTP and <c>lyndrix doctor --json</c>): <c>{status, exit_code, checks: [{name, status, message, fix}]}</c>.</summary>
internal sealed record DoctorJson(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("exit_code")] int ExitCode,
    [property: JsonPropertyName("checks")] IReadOnlyList<DoctorJson.Check> Checks)
{
    public static DoctorJson From(DoctorReport report) =>
        new(report.Status, report.ExitCode, report.Checks.Select(c => new Check(c.Name, c.Status, c.Message, c.Fix)).ToArray());

    internal sealed record Check(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("fix")] string? Fix);
}
