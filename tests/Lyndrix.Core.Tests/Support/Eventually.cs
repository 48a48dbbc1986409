namespace Lyndrix.Core.Tests.Support;

public static class Eventually
{
    /// <summary>Polls until the condition holds; fails with <paramref name="what"/> after the timeout.</summary>
    public static async Task True(Func<bool> condition, string what, double seconds = 10)
    {
        if (!await Within(condition, seconds))
        {
            Assert.Fail($"Timed out after {seconds}s waiting for: {what}");
        }
    }

    /// <summary>Polls until the condition holds: true, or false once <paramref name="seconds"/> have passed.</summary>
    public static async Task<bool> Within(Func<bool> condition, double seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }
}
