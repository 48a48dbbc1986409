namespace Lyndrix.Core.Events;

internal sealed class EventBusOptions
{
    /// <summary>How long one queued handler may run before it is abandoned and the next event is delivered.</summary>
    public TimeSpan HandlerTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
