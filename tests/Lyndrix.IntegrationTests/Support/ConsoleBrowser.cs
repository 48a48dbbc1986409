using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>
/// One headless Chromium for a console test class (<see cref="Chromium"/>); each scenario takes a fresh context, so fresh
/// cookies and storage. Playwright's assertions wait by themselves (30 s by default, <see cref="Boot"/> for a host's boot), so
/// no test sleeps.
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    /// <summary>How long a test waits for a host to boot: generous, for a loaded machine.</summary>
    public static readonly TimeSpan Boot = TimeSpan.FromSeconds(90);

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<ConsoleBrowser> LaunchAsync()
    {
        var (playwright, browser) = await Chromium.LaunchAsync();
        SetDefaultExpectTimeout(30_000);
        return new ConsoleBrowser(playwright, browser);
    }

    private Task<IBrowserContext> NewContextAsync() =>
        _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });

    /// <summary>A tab in a fresh context, at <paramref name="url"/> when given; the page's script errors go to the test output.</summary>
    public async Task<ConsoleTab> OpenAsync(string? url = null)
    {
        var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => TestContext.Progress.WriteLine("page error: " + error);
        if (url is not null)
        {
            await page.GotoAsync(url);
        }

        return new ConsoleTab(context, page);
    }

    public static ILocator Heading(IPage page, string name) => page.GetByRole(AriaRole.Heading, new() { Name = name, Exact = true });

    /// <summary>Waits for a console page by its heading, as long as a boot may take.</summary>
    public static Task ExpectPageAsync(IPage page, string heading) =>
        Expect(Heading(page, heading)).ToBeVisibleAsync(new() { Timeout = (float)Boot.TotalMilliseconds });

    public static async Task SignInAsync(IPage page, string user, string password)
    {
        await ExpectPageAsync(page, "Sign in");
        var form = page.Locator("#signin-form");
        await form.GetByLabel("User name").FillAsync(user);
        await form.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Heading(page, "Dashboard")).ToBeVisibleAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
