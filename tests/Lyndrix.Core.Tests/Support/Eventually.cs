namespace Lyndrix.Core.Tests.Support;

public static class Eventually
{
    /// <summary>Polls until the condition holds; fails with <paramref name="what"/> after the timeout.</summary>
    public static async Task True(Func<bool> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {seconds}s waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }
}
