using Microsoft.Playwright;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>Full-page screenshots of the console, kept as test artifacts in <c>artifacts/console-screenshots</c> (ignored by
/// git) and attached to the test result.</summary>
public static class ConsoleScreenshots
{
    public static string Folder => Path.Combine(RepositoryPaths.Root, "artifacts", "console-screenshots");

    public static async Task SaveAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, name);
    }
}
