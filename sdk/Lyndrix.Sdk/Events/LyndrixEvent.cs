namespace Lyndrix.Sdk.Events;

/// <summary>One event as delivered to subscribers.</summary>
/// <param name="Topic">The topic, <c>domain:event</c>.</param>
/// <param name="Payload">The immutable payload.</param>
/// <param name="Timestamp">When it was emitted.</param>
/// <param name="Source">The emitter: <c>core</c> or a module id.</param>
/// <param name="Replayed">True when a readiness event is replayed to a subscriber that arrived after it.</param>
public readonly record struct LyndrixEvent(string Topic, EventPayload Payload, DateTimeOffset Timestamp, string Source, bool Replayed = false);
