using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Secrets.Lifecycle;

internal static class MaintenanceAssertions
{
    public static Task LiftedAsync(LifecycleHarness h) =>
        Tests.Support.Eventually.True(
            () => h.Events.Events.LastOrDefault(e => e.Topic == CoreTopics.SystemMaintenanceMode).Payload?.GetBoolean("active") == false,
            "maintenance lifted; saw: " + string.Join(", ", h.Events.Topics));
}
