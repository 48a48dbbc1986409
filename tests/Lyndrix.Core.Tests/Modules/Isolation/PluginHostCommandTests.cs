using System.Diagnostics;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>The real <c>lyndrix plugin-host</c>, started as the host starts it, at the edges of its channel's life.</summary>
[TestFixture]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PluginHostCommandTests
{
    [Test]
    public async Task A_child_whose_channel_closes_before_its_hello_is_answered_just_ends()
    {
        var info = ChildProcessStart.Info(["dotnet", HostProcess.Executable], [PluginHostCommand.CommandName], ChildProcessStart.DotnetEnvironment());
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync("a-secret-no-host-will-check\n");
        await process.StandardInput.FlushAsync();

        // The hello is on its way (the child now waits for the answer); the host goes away instead of answering.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = new char[16];
        var read = await process.StandardOutput.ReadBlockAsync(first, patience.Token);
        Assert.That(new string(first, 0, read), Does.StartWith("Content-Length"), "the child said hello");
        process.StandardInput.Close();

        await process.WaitForExitAsync(patience.Token);
        Assert.That(process.ExitCode, Is.Zero, "it ended as a child whose host is gone, not with an unhandled exception:\n" + await stderr);
    }
}
