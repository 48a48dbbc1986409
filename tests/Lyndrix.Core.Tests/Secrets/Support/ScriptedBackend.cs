using Lyndrix.Core.Secrets;
using Moq;

namespace Lyndrix.Core.Tests.Secrets.Support;

/// <summary>A Moq'd <see cref="ISecretBackend"/> (Vault-like: initialization changes its status) whose state a test steers.</summary>
internal sealed class ScriptedBackend
{
    private int _failuresLeft;

    public ScriptedBackend(bool initialized, bool @sealed)
    {
        Status = new SecretBackendStatus(initialized, @sealed);
        Mock.SetupGet(b => b.Kind).Returns("vault");
        Mock.SetupGet(b => b.Store).Returns(new InMemoryKeyValueStore());
        Mock.Setup(b => b.GetStatusAsync(It.IsAny<CancellationToken>())).Returns((CancellationToken ct) =>
        {
            if (Hang)
            {
                return Task.Delay(Timeout.Infinite, ct).ContinueWith<SecretBackendStatus>(_ => throw new OperationCanceledException(ct), TaskScheduler.Default);
            }

            return Interlocked.Decrement(ref _failuresLeft) >= 0
                ? Task.FromException<SecretBackendStatus>(new SecretBackendUnreachableException("connection refused (127.0.0.1:8200)"))
                : Task.FromResult(Status);
        });
        Mock.Setup(b => b.InitializeAsync(It.IsAny<CancellationToken>())).Returns(() =>
        {
            Status = Status with { Initialized = true, Sealed = true };
            return Task.FromResult(Material);
        });
        Mock.Setup(b => b.UnsealAsync(It.IsAny<KeyMaterial>(), It.IsAny<CancellationToken>())).Returns(() =>
        {
            Status = Status with { Sealed = false };
            return Task.FromResult(Status);
        });
        Mock.Setup(b => b.OpenAsync(It.IsAny<KeyMaterial?>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
    }

    public Mock<ISecretBackend> Mock { get; } = new();

    public ISecretBackend Object => Mock.Object;

    public KeyMaterial Material { get; } = new("hvs.scripted-root-token", ["aabbccdd"]);

    public volatile SecretBackendStatus Status;

    /// <summary>GetStatusAsync never answers (until cancelled).</summary>
    public volatile bool Hang;

    /// <summary>The next <paramref name="count"/> status calls fail as unreachable.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failuresLeft, count);
}
