namespace Lyndrix.IntegrationTests;

/// <summary>
/// Integration tests start private MariaDB / OpenLDAP instances on loopback. When the server binaries are not installed
/// the tests are ignored with a message, unless <c>LYNDRIX_REQUIRE_SERVERS=1</c> (set by .ci/run), which makes them fail.
/// </summary>
public static class ServerRequirement
{
    public static void Missing(string what, string install)
    {
        var message = $"{what} is not installed ({install}).";
        if (Environment.GetEnvironmentVariable("LYNDRIX_REQUIRE_SERVERS") == "1")
        {
            Assert.Fail(message + " LYNDRIX_REQUIRE_SERVERS=1 requires it.");
        }

        Assert.Ignore(message + " Integration test skipped; .ci/run installs it.");
    }
}
