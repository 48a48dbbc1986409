using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>
/// What every console page the tests reach must pass, and its record: an axe-core scan (Deque.AxeCore.Playwright, every rule
/// including best practices) that fails on a serious or critical violation, a phone-size viewport (390 x 844) on which
/// nothing makes the page scroll sideways, and screenshots of both (<see cref="ConsoleScreenshots"/>).
/// </summary>
public static class ConsolePageCheck
{
    private static readonly string[] Failing = ["serious", "critical"];

    public static async Task RunAsync(IPage page, string name)
    {
        await AssertAccessibleAsync(page, name);
        await ConsoleScreenshots.SaveAsync(page, name);

        var desktop = page.ViewportSize;
        await page.SetViewportSizeAsync(390, 844);
        try
        {
            // Waits out a layout still settling after the resize (the page also redraws on its own timer); a page that really
            // is too wide stays so and fails with the elements that reach past the right edge.
            try
            {
                await page.WaitForFunctionAsync("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth",
                    null, new() { Timeout = 5_000 });
            }
            catch (TimeoutException)
            {
            }

            await ConsoleScreenshots.SaveAsync(page, name + "-phone");
            var wide = await page.EvaluateAsync<string[]>("""
                () => {
                  const width = document.documentElement.clientWidth;
                  if (document.documentElement.scrollWidth <= width) return [];
                  const leaves = [...document.querySelectorAll('body *')]
                    .map(e => ({ e, right: Math.max(e.getBoundingClientRect().right, e.getBoundingClientRect().left + e.scrollWidth) }))
                    .filter(x => x.right > width + 1 && x.e.children.length === 0)
                    .slice(0, 5)
                    .map(x => `${x.e.tagName.toLowerCase()}${x.e.id ? '#' + x.e.id : ''}.${x.e.className} (${Math.round(x.right)} px): ${x.e.textContent.slice(0, 80)}`);
                  return leaves.length ? leaves : [`the page is ${document.documentElement.scrollWidth} px wide`];
                }
                """);
            Assert.That(wide, Is.Empty, $"{name}: on a phone (390 px) the page scrolls sideways");
        }
        finally
        {
            if (desktop is not null)
            {
                await page.SetViewportSizeAsync(desktop.Width, desktop.Height);
            }
        }
    }

    public static async Task AssertAccessibleAsync(IPage page, string name) =>
        Assert.That(await SeriousViolationsAsync(page, name), Is.Empty, $"{name}: accessibility violations found by axe-core");

    /// <summary>Runs axe-core on the page as it is now; returns the serious and critical violations, one line each (rule,
    /// help, the first elements), and writes the lesser ones to the test's output.</summary>
    public static async Task<IReadOnlyList<string>> SeriousViolationsAsync(IPage page, string name)
    {
        var result = await page.RunAxe();
        var violations = result.Violations ?? [];
        foreach (var minor in violations.Where(v => !Failing.Contains(v.Impact)))
        {
            TestContext.Progress.WriteLine($"{name}: axe {minor.Impact} '{minor.Id}': {minor.Help} at {Targets(minor)}");
        }

        return violations.Where(v => Failing.Contains(v.Impact)).Select(v => $"{v.Impact} '{v.Id}': {v.Help} at {Targets(v)}").ToList();
    }

    private static string Targets(AxeResultItem violation) =>
        string.Join("; ", violation.Nodes.Take(5).Select(n => n.Target + " " + n.Html));
}
