using Microsoft.Playwright;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>One browser tab in a context of its own (its own cookies and session storage); disposing closes the context.</summary>
public sealed record ConsoleTab(IBrowserContext Context, IPage Page) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Context.DisposeAsync();
}
