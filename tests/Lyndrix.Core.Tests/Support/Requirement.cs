namespace Lyndrix.Core.Tests.Support;

/// <summary>
/// What a test needs of the machine that it cannot bring itself (a tool installed with apt, root): when it is missing the
/// test is ignored with the message, unless <c>LYNDRIX_REQUIRE_SERVERS=1</c> (set by .ci/run), which makes it fail.
/// </summary>
internal static class Requirement
{
    public static void Missing(string message)
    {
        if (Environment.GetEnvironmentVariable("LYNDRIX_REQUIRE_SERVERS") == "1")
        {
            Assert.Fail(message + " LYNDRIX_REQUIRE_SERVERS=1 requires it.");
        }

        Assert.Ignore(message);
    }
}
