using System.Net.Http.Json;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Hosting;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Hosting;

public class LogFilesTests
{
    [Test]
    public void The_log_folder_and_files_are_owner_only_even_when_they_existed_wider()
    {
        using var dir = new TempDirectory();
        var logs = Path.Combine(dir.Path, "logs");
        Directory.CreateDirectory(logs);
        File.WriteAllText(Path.Combine(logs, "lyndrix.log"), "old\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(logs, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(Path.Combine(logs, "lyndrix.log"), (UnixFileMode)0b110_100_100);
        }

        using (var provider = new FileLoggerProvider(logs, LogLevel.Information, TimeProvider.System))
        {
            provider.CreateLogger("test").LogInformation("hello");
        }

        Assert.That(FileModes.Of(logs), Is.EqualTo(FileModes.OwnerOnlyFolder));
        Assert.That(FileModes.Of(Path.Combine(logs, "lyndrix.log")), Is.EqualTo(FileModes.OwnerOnly));
    }

    [Test]
    public void Every_line_names_the_host_instance()
    {
        using var dir = new TempDirectory();
        using (var provider = new FileLoggerProvider(dir.Path, LogLevel.Information, TimeProvider.System, "web-2:8081"))
        {
            provider.CreateLogger("cat").LogInformation("one");
            provider.CreateLogger("cat").LogWarning("two");
        }

        Assert.That(File.ReadAllLines(Path.Combine(dir.Path, "lyndrix.log")), Has.All.Contain(" [web-2:8081] cat: "));
    }

    [Test]
    public void The_instance_id_defaults_to_machine_and_port_and_a_bad_one_is_refused()
    {
        var settings = HostSettings.Load(EnvironmentConfigSource.FromValues(new Dictionary<string, string> { ["PORT"] = "8090" }), "/");
        Assert.That(settings.InstanceId, Is.EqualTo(Environment.MachineName + ":8090"));
        var ex = Assert.Throws<ConfigurationException>(() =>
            HostSettings.Load(EnvironmentConfigSource.FromValues(new Dictionary<string, string> { ["LYNDRIX_INSTANCE_ID"] = "web 2\n" }), "/"));
        Assert.That(ex!.Message, Does.Contain("LYNDRIX_INSTANCE_ID"));
    }

    [TestCase("a\nb", "a\\u000ab")]
    [TestCase("a\u2028b\u2029c", "a\\u2028b\\u2029c")]
    [TestCase("a\u0085b\u001bc", "a\\u0085b\\u001bc")]
    [TestCase("plain", "plain")]
    public void Client_values_are_escaped(string value, string logged) => Assert.That(LogValue.Escape(value), Is.EqualTo(logged));

    [Test]
    public async Task A_line_separator_in_a_user_name_is_escaped_in_the_log()
    {
        await using var host = await AuthHost.StartAsync([]);
        await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "eve\u2028INFO forged line", password = "x-guess-x" });
        // The LOGIN_FAILED record and the security:login_failed event's payload both name the user: neither may break the line.
        var lines = host.Logs.Entries.Where(e => e.Message.Contains("forged line", StringComparison.Ordinal)).ToArray();
        Assert.That(lines, Has.Length.GreaterThanOrEqualTo(1));
        foreach (var line in lines)
        {
            Assert.That(line.Message, Does.Contain("eve\\u2028INFO forged line").And.Not.Contain("\u2028"));
        }
    }
}
