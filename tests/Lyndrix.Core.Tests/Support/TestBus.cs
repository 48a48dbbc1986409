using Lyndrix.Core.Events;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.Core.Tests.Support;

public static class TestBus
{
    internal static EventBus Create(CapturingLoggerProvider logs, TimeSpan? handlerTimeout = null, TimeProvider? time = null) =>
        new(logs.CreateLogger<EventBus>(), time ?? new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture)),
            new EventBusOptions { HandlerTimeout = handlerTimeout ?? TimeSpan.FromSeconds(30) });
}
