using System.Runtime.Versioning;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>
/// The executable a plugin's process of another account starts from (<see cref="ChildExecutable"/>): a root-owned, execute-only
/// copy of the apphost beside the app's dll, made again when the apphost changes; a link planted at its name is replaced, never
/// followed; without an apphost (or where the copy cannot be put) children start as before, with one warning.
/// </summary>
[TestFixture]
[SupportedOSPlatform("linux")]
public sealed class ChildExecutableTests
{
    private const UnixFileMode ExecuteOnly = (UnixFileMode)0b111_001_001;

    private TempDirectory _dir = null!;
    private CapturingLoggerProvider _logs = null!;
    private string _dll = null!;
    private string _appHost = null!;

    [SetUp]
    public void SetUp()
    {
        if (!PluginUser.HostIsRoot)
        {
            Assert.Ignore("The copy is made by a root host (it is used only when plugins run as another account); CI runs as root.");
        }

        _dir = new TempDirectory("lyndrix-childexe");
        _logs = new CapturingLoggerProvider();
        _dll = _dir.File("lyndrix.dll");
        _appHost = _dir.File("lyndrix");
        File.WriteAllText(_dll, "app");
        File.WriteAllText(_appHost, "apphost v1");
        File.SetUnixFileMode(_appHost, (UnixFileMode)0b111_101_101);
    }

    [TearDown]
    public void TearDown()
    {
        _dir?.Dispose();
        _logs?.Dispose();
    }

    private ChildExecutable Executable(params string[] command) => ChildExecutable.For(command.Length > 0 ? command : ["dotnet", _dll], _logs.CreateLogger("test"));

    private IEnumerable<CapturedLog> Warnings => _logs.Entries.Where(e => e.Level == LogLevel.Warning);

    [Test]
    public void The_copy_beside_the_dll_is_root_owned_execute_only_and_made_again_when_the_apphost_changes()
    {
        var executable = Executable();
        var copy = executable.Ready();
        Assert.That(copy, Is.EqualTo(_dir.File(ChildExecutable.FileName)));
        Assert.That(FileStatus.Of(copy!, followLinks: false), Is.EqualTo(FileStatus.Of(_appHost, followLinks: true)!.Value with { Owner = 0, Mode = ExecuteOnly }));
        Assert.That(File.ReadAllText(copy!), Is.EqualTo("apphost v1"));
        Assert.That(Executable(_appHost).Ready(), Is.EqualTo(copy), "the same copy when the host was started as the apphost itself");

        Assert.That(executable.Ready(), Is.EqualTo(copy));
        Assert.That(_logs.Entries.Count(e => e.Message.Contains("a copy of", StringComparison.Ordinal)), Is.EqualTo(1), "not copied again while nothing changed");

        File.WriteAllText(_appHost, "apphost v2, longer");
        Assert.That(executable.Ready(), Is.EqualTo(copy));
        Assert.That(File.ReadAllText(copy!), Is.EqualTo("apphost v2, longer"), "an updated apphost is copied again");
        File.SetUnixFileMode(copy!, (UnixFileMode)0b111_101_101);
        Assert.That(executable.Ready(), Is.EqualTo(copy));
        Assert.That(FileStatus.Of(copy!, followLinks: false)!.Value.Mode, Is.EqualTo(ExecuteOnly), "a copy made readable is made again");
        Assert.That(Warnings, Is.Empty);
        Assert.That(Directory.GetFiles(_dir.Path, "*.tmp", SearchOption.AllDirectories), Is.Empty, "no temporary file left");
    }

    [Test]
    public void A_link_planted_at_the_copy_s_name_is_replaced_never_followed_and_said()
    {
        var target = _dir.File("precious");
        File.WriteAllText(target, "keep me");
        File.CreateSymbolicLink(_dir.File(ChildExecutable.FileName), target);

        var copy = Executable().Ready();

        Assert.That(File.ReadAllText(target), Is.EqualTo("keep me"), "the link's target is untouched");
        Assert.That(new FileInfo(copy!).LinkTarget, Is.Null, "the link itself was replaced");
        Assert.That(FileStatus.Of(copy!, followLinks: false), Is.EqualTo(FileStatus.Of(_appHost, followLinks: true)!.Value with { Owner = 0, Mode = ExecuteOnly }));
        Assert.That(Warnings.Select(w => w.Message), Has.One.Contain("Replaced " + copy).And.Contain("not a regular file"));
    }

    [Test]
    public void Without_an_apphost_beside_the_dll_children_start_as_before_and_one_warning_says_they_are_dumpable_at_first()
    {
        File.Delete(_appHost);
        var executable = Executable();

        Assert.That(executable.Ready(), Is.Null);
        Assert.That(executable.Ready(), Is.Null);
        Assert.That(Warnings.Select(w => w.Message), Has.One.Contain("there is no apphost at " + _appHost).And.Contain("dumpable for its first moments")
            .And.Contain("dotnet " + _dll), "one warning, naming the command used instead");
        Assert.That(File.Exists(_dir.File(ChildExecutable.FileName)), Is.False);
    }

    [Test]
    public void Where_the_copy_cannot_be_put_children_start_as_before_with_one_warning_and_nothing_there_is_lost()
    {
        // A root host can write any folder whatever its mode; a folder at the copy's name is what it cannot replace.
        var blocker = Directory.CreateDirectory(_dir.File(ChildExecutable.FileName));
        File.WriteAllText(Path.Combine(blocker.FullName, "inside"), "keep me");
        var executable = Executable();

        Assert.That(executable.Ready(), Is.Null);
        Assert.That(executable.Ready(), Is.Null);
        Assert.That(Warnings.Select(w => w.Message), Has.One.Contain("dumpable for its first moments"));
        Assert.That(File.ReadAllText(Path.Combine(blocker.FullName, "inside")), Is.EqualTo("keep me"));
        Assert.That(Directory.GetFiles(_dir.Path, "*.tmp"), Is.Empty, "no temporary file left");
    }

    [Test]
    public void A_single_file_host_without_its_dll_gets_no_copy_it_could_not_run_from()
    {
        File.Delete(_dll);
        Assert.That(Executable(_appHost).Ready(), Is.Null);
        Assert.That(Warnings.Select(w => w.Message), Has.One.Contain("is not beside the apphost"));
    }

    [Test]
    public void An_isolated_plugin_s_account_is_looked_up_once_and_a_missing_one_each_time()
    {
        var config = new TestConfigSource().Set("LYNDRIX_PLUGIN_USER", "nobody").Set("LYNDRIX_PLUGIN_TEST_GHOST_USER", "no-such-account-here");
        var settings = new IsolationSettings { DefaultMode = IsolationSettings.Process, Command = ["dotnet", _dll], WorkRoot = _dir.File("work"), Config = config };

        Assert.That(settings.AccountFor("test.a"), Is.SameAs(settings.AccountFor("test.b")), "one lookup for the account of both");
        Assert.Throws<PluginLoadException>(() => settings.AccountFor("test.ghost"));
        Assert.That(Assert.Throws<PluginLoadException>(() => settings.AccountFor("test.ghost"))!.Message, Does.Contain("no such account"));
    }
}
