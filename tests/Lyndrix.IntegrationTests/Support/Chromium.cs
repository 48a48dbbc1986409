using Microsoft.Playwright;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>
/// Headless Chromium from the operating system (Debian's <c>chromium</c> package, installed by .ci/run), driven by Playwright's
/// driver from the NuGet package: nothing is downloaded. <c>LYNDRIX_CHROMIUM</c> names another executable.
/// </summary>
public static class Chromium
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    public static string? Find() =>
        Environment.GetEnvironmentVariable("LYNDRIX_CHROMIUM") is { Length: > 0 } configured
            ? configured
            : Candidates.FirstOrDefault(File.Exists);

    /// <summary>Starts Playwright and one headless browser; ignores (or, with LYNDRIX_REQUIRE_SERVERS=1, fails) the caller when
    /// Chromium is not installed.</summary>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (Find() is not { } executable)
        {
            ServerRequirement.Missing("Chromium", "apt-get install chromium");
            throw new InvalidOperationException("unreachable");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true });
        return (playwright, browser);
    }
}
