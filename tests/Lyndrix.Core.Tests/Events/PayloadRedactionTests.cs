using Lyndrix.Core.Events;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Events;

public sealed class PayloadRedactionTests
{
    [TestCase(CoreTopics.VaultInitRequested)]
    [TestCase(CoreTopics.VaultUnsealRequested)]
    public async Task Vault_request_payloads_are_always_redacted_whole(string topic)
    {
        var logs = new CapturingLoggerProvider();
        await using var bus = TestBus.Create(logs);
        bus.Emit(topic, EventPayload.Create(("key", "correct-horse-battery"), ("note", "visible-elsewhere")));

        var line = logs.Entries.Single(e => e.Message.Contains(topic)).Message;
        Assert.That(line, Does.Contain(PayloadRedactor.Redacted));
        Assert.That(line, Does.Not.Contain("correct-horse-battery").And.Not.Contain("visible-elsewhere"));
    }

    [Test]
    public async Task Sensitive_keys_are_masked_at_any_depth_and_other_values_kept()
    {
        var logs = new CapturingLoggerProvider();
        await using var bus = TestBus.Create(logs);
        var payload = EventPayload.Create(
            ("repo_id", "r1"),
            ("token", "tok-1"),
            ("nested", EventPayload.Create(("password", "pw-2"), ("secret_value", "sv-3"), ("inner", EventPayload.Create(("private_key", "pk-4"), ("api_key", "ak-5"))))),
            ("list", new object?[] { EventPayload.Create(("Secret", "s-6"), ("root_token", "rt-7"), ("bind_password", "bp-8")), "plain" }),
            ("key", "k-9"));

        bus.Emit("git:sync", payload);

        var line = logs.Entries.Single(e => e.Message.Contains("git:sync")).Message;
        foreach (var secret in new[] { "tok-1", "pw-2", "sv-3", "pk-4", "ak-5", "s-6", "rt-7", "bp-8", "k-9" })
        {
            Assert.That(line, Does.Not.Contain(secret), secret);
        }

        Assert.That(line, Does.Contain("\"repo_id\":\"r1\"").And.Contain("plain"));
    }

    [TestCase("key", true)]
    [TestCase("token", true)]
    [TestCase("password", true)]
    [TestCase("secret", true)]
    [TestCase("secret_value", true)]
    [TestCase("secrets", true)]
    [TestCase("private_key", true)]
    [TestCase("client_secret", true)]
    [TestCase("github_token", true)]
    [TestCase("plugin_id", false)]
    [TestCase("status", false)]
    [TestCase("monkey", false)]
    public void Sensitive_key_names(string name, bool sensitive) =>
        Assert.That(PayloadRedactor.IsSensitiveKey(name), Is.EqualTo(sensitive));
}
