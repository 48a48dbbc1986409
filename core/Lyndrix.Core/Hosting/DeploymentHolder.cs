using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;

namespace Lyndrix.Core.Hosting;

/// <summary>Who holds a <see cref="DeploymentLock"/>: a running host or a restore, described so that a refused restore can
/// name what to stop. Written beside the lock; holds no secret.</summary>
internal sealed record DeploymentHolder(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("pid")] int ProcessId,
    [property: JsonPropertyName("machine")] string Machine,
    [property: JsonPropertyName("since")] DateTimeOffset Since)
{
    public const string HostRole = "host";
    public const string RestoreRole = "restore";

    public static DeploymentHolder Current(string role, string instance, TimeProvider time) =>
        new(role, instance, Environment.ProcessId, Environment.MachineName, time.GetUtcNow());

    /// <summary>False when the process is known to be gone (same machine, no such process): a record a crash left behind.</summary>
    [JsonIgnore]
    public bool MayBeAlive
    {
        get
        {
            if (!string.Equals(Machine, Environment.MachineName, StringComparison.Ordinal))
            {
                return true;
            }

            try
            {
                using var process = Process.GetProcessById(ProcessId);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
    }

    /// <summary>"host 'box:8081' (pid 4242 on box, since 2026-11-29 10:03:05Z)".</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"{Role} '{Instance}' (pid {ProcessId} on {Machine}, since {Since:u})");
}
