namespace Lyndrix.IntegrationTests;

/// <summary>What the integration tests' server helpers (linked into the benchmarks) do when a server is not installed: here
/// the benchmark stops with the message (the tests ignore or fail the test instead).</summary>
internal static class ServerRequirement
{
    public static void Missing(string what, string install) => throw new InvalidOperationException($"{what} is not installed ({install}).");
}
