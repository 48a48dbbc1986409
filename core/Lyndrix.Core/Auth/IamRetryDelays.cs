namespace Lyndrix.Core.Auth;

/// <summary>Delays between attempts after IAM failed to start (e.g. the database refused a query); the last one repeats.</summary>
internal sealed record IamRetryDelays(IReadOnlyList<TimeSpan> Delays)
{
    public static IamRetryDelays Default { get; } = new(
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)]);
}
