using System.Diagnostics;
using System.Text.Json;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>Runs the host's SSO landing page script under node (tests/oidc-provider/landing-page.mjs) as a browser would at a
/// given address, its fetch going to the real host; returns what the script did.</summary>
public static class LandingPageRunner
{
    public static async Task<JsonElement> RunAsync(string script, Uri landingUrl)
    {
        var node = Executables.Which("node");
        if (node is null)
        {
            ServerRequirement.Missing("Node.js (node)", "apt-get install nodejs npm");
        }

        var psi = new ProcessStartInfo(node!, ["landing-page.mjs"])
        {
            WorkingDirectory = Path.Combine(RepositoryPaths.Root, "tests", "oidc-provider"),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["LANDING_URL"] = landingUrl.AbsoluteUri;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        Assert.That(process.ExitCode, Is.EqualTo(0), $"{output}\n{await stderr}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }
}
