using System.Diagnostics;
using System.Text;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>
/// A plugin's process that cannot make itself non-dumpable refuses to serve (exit 4), before it reads its one-time secret.
/// The failure is real, not a hook: the real <c>lyndrix plugin-host</c> runs under strace, which makes the kernel's answer
/// to <c>prctl</c> an error, or a success that did nothing (as a container runtime's seccomp filter may). The .NET runtime's
/// own <c>prctl</c> calls (thread names) get the same answers; it goes on without them, which these tests show as well.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ChildHardeningTests
{
    private const string Refusal = "; refusing to run a plugin in a weaker sandbox than documented.";

    /// <summary>
    /// <c>error=EPERM</c>: every prctl of every thread fails, PR_SET_DUMPABLE included. <c>retval=0:when=1</c>: the first
    /// prctl of each thread reports success without running; the main thread's first is PR_SET_DUMPABLE (the log shows it),
    /// so only reading the state back catches it.
    /// </summary>
    [TestCase("error=EPERM", "prctl(PR_SET_DUMPABLE, 0) failed with errno 1")]
    [TestCase("retval=0:when=1", "the process is still dumpable (1) after prctl(PR_SET_DUMPABLE, 0)")]
    public async Task A_child_that_cannot_become_non_dumpable_exits_4_before_it_reads_its_secret(string inject, string failure)
    {
        await Strace.RequireAsync();
        using var dir = new TempDirectory("lyndrix-hardening");
        var log = dir.File("strace.log");
        var secret = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

        var child = await RunChildAsync(Strace.Injecting("prctl:" + inject, "prctl,read", log), secret, TimeSpan.FromSeconds(60));

        var trace = File.ReadAllLines(log);
        var mainThread = trace.Single(l => l.Contains("prctl(PR_SET_DUMPABLE, SUID_DUMP_DISABLE)", StringComparison.Ordinal)).Split(' ')[0];
        Assert.Multiple(() =>
        {
            Assert.That(child.ExitCode, Is.EqualTo(4), child.ToString());
            Assert.That(child.Stderr.TrimEnd(), Is.EqualTo($"lyndrix plugin-host: {failure}{Refusal}"), "one clear line, and nothing else");
            Assert.That(trace, Has.Some.Match(@"prctl\(PR_SET_DUMPABLE, SUID_DUMP_DISABLE\) = -?\d+ .*\(INJECTED\)"), "the injected call is PR_SET_DUMPABLE:\n" + string.Join('\n', trace));
            Assert.That(trace, Has.None.Contain($"<{child.Stdin}>"), $"stdin ({child.Stdin}), where the one-time secret waits, was never read");
            Assert.That(child.Stdout, Is.Empty, "nothing was said on the channel: no secret presented, no plugin served");
            Assert.That(trace.Where(l => l.StartsWith(mainThread + " ", StringComparison.Ordinal) && l.Contains("prctl(", StringComparison.Ordinal)).First(),
                Does.Contain("PR_SET_DUMPABLE"), "hardening is the main thread's first prctl (what when=1 relies on)");
        });
    }

    /// <summary>The control: under the same strace, without injection, the child makes itself non-dumpable, reads its secret
    /// and presents it on the channel. So the refusals above are the injection's doing, not strace's.</summary>
    [Test]
    public async Task Under_strace_without_injection_the_child_hardens_reads_its_secret_and_presents_it()
    {
        await Strace.RequireAsync();
        using var dir = new TempDirectory("lyndrix-hardening");
        var log = dir.File("strace.log");
        var secret = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

        var child = await RunChildAsync(
            Strace.Tracing("prctl,read", log), secret, TimeSpan.FromSeconds(60), until: secret);

        var trace = File.ReadAllLines(log);
        Assert.Multiple(() =>
        {
            Assert.That(child.Stdout, Does.Contain(secret), "the child presented its secret on the channel\n" + child);
            Assert.That(trace, Has.Some.Match(@"prctl\(PR_SET_DUMPABLE, SUID_DUMP_DISABLE\)\s+= 0$"));
            Assert.That(trace, Has.Some.Match(@"prctl\(PR_GET_DUMPABLE\)\s+= 0 "));
            Assert.That(trace, Has.Some.Match(System.Text.RegularExpressions.Regex.Escape($"<{child.Stdin}>, \"{secret[0]}\", 1)") + @"\s+= 1$"), $"the secret was read from stdin ({child.Stdin}), as the log shows it");
        });
    }

    /// <summary>Through the host: an isolated plugin whose process refuses (its spare too) ends failed with a reason that
    /// says why, and the child's own line reaches the host's log; the plugin's code never ran anywhere.</summary>
    [Test]
    public async Task An_isolated_plugin_whose_process_cannot_harden_fails_and_says_why()
    {
        await Strace.RequireAsync();
        await PluginFixtures.EnsureBuiltAsync();
        await using var host = new PluginHarness().Isolated();
        var log = Path.Combine(host.Root, "strace.log");
        host.Isolation = host.Isolation! with { Command = [.. Strace.Injecting("prctl:error=EPERM", "prctl", log), Strace.Dotnet(), HostProcess.Executable] };
        host.AddProbe("hardening", ProbeManifest.Create("test.hardening", new Dictionary<string, string> { ["emit_on_setup"] = "probe:up" }, emit: ["probe:up"]));
        var setups = host.Record("probe:up");

        await host.Runtime.StartAllAsync(CancellationToken.None);

        var plugin = host.Runtime.Get("test.hardening")!;
        Assert.Multiple(() =>
        {
            Assert.That(plugin.State, Is.EqualTo(PluginState.Failed));
            Assert.That(plugin.Reason, Does.Contain("exited with code 4").And.Contain("non-dumpable"), plugin.Reason);
            Assert.That(host.Logs.AllText, Does.Contain("prctl(PR_SET_DUMPABLE, 0) failed with errno 1" + Refusal), "the child's own line is in the host's log");
            Assert.That(setups, Is.Empty, "the plugin's setup never ran");
        });
        await Eventually.True(() => PluginChildren.Of(Environment.ProcessId).Count == 0, "no process is left (the spare started after the setup refuses too)", 60);
    }

    /// <summary>Starts <c>lyndrix plugin-host</c> as the host does (<see cref="ChildProcessStart"/>: its environment, its
    /// streams), behind <paramref name="prefix"/>; writes the secret line and keeps stdin open; waits for its end, or until
    /// <paramref name="until"/> appears on stdout (then closes stdin, which ends it), at most <paramref name="patience"/>;
    /// then kills what is left.</summary>
    private static async Task<(int? ExitCode, string Stdout, string Stderr, string Stdin)> RunChildAsync(string[] prefix, string secret, TimeSpan patience, string? until = null)
    {
        var info = ChildProcessStart.Info([.. prefix, Strace.Dotnet(), HostProcess.Executable], [PluginHostCommand.CommandName], ChildProcessStart.DotnetEnvironment());
        using var process = Process.Start(info)!;
        // The pipe the secret goes through, as strace names it (-y) in the child's reads (.NET reads stdin through a dup of fd 0).
        var stdin = new FileInfo($"/proc/{process.Id}/fd/0").LinkTarget!;
        await process.StandardInput.WriteAsync(secret + "\n");
        await process.StandardInput.FlushAsync();
        var stdout = new StringBuilder();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(patience);
        var buffer = new char[4096];
        try
        {
            int n;
            while ((n = await process.StandardOutput.ReadAsync(buffer, deadline.Token)) > 0)
            {
                stdout.Append(buffer, 0, n);
                if (until is not null && stdout.ToString().Contains(until, StringComparison.Ordinal))
                {
                    break;
                }
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // Still running past its patience: the assertions say so.
        }

        int? exitCode = process.HasExited ? process.ExitCode : null;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (exitCode, stdout.ToString(), await stderr, stdin);
    }
}
