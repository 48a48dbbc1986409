namespace Lyndrix.Core.Security;

/// <summary>One event of the stream: its position (<paramref name="Id"/>, increasing from 1 per host process), topic,
/// emitter, time and payload already in its redacted JSON form (the same form the log shows).</summary>
internal sealed record SecurityEvent(long Id, string Topic, string Source, DateTimeOffset At, string PayloadJson, bool Replayed);
