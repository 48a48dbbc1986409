using Lyndrix.IntegrationTests.Support;

namespace Lyndrix.IntegrationTests.WebConsole;

/// <summary>The console test classes: end-to-end, one at a time (they start hosts and a browser), one browser per class.</summary>
[Category("EndToEnd")]
[NonParallelizable]
public abstract class ConsoleFixture
{
    protected ConsoleBrowser Browser { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task LaunchBrowser() => Browser = await ConsoleBrowser.LaunchAsync();

    [OneTimeTearDown]
    public async Task CloseBrowser()
    {
        await DisposeSharedAsync();
        await Browser.DisposeAsync();
    }

    /// <summary>What a class keeps for all its tests (a shared host), released before the browser closes.</summary>
    protected virtual Task DisposeSharedAsync() => Task.CompletedTask;
}
