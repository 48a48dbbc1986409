namespace Lyndrix.Core.Secrets.Lifecycle;

/// <summary>The latest failure the lifecycle announced, so a client that started an init or unseal can learn how it ended.
/// <paramref name="Sequence"/> grows with every failure.</summary>
internal sealed record SecretStoreFailure(string Topic, string Reason, string Message, long Sequence, DateTimeOffset At);
