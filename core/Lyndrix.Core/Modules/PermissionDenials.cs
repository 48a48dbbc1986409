using Lyndrix.Core.Events;
using Lyndrix.Core.Security;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules;

/// <summary>Reports a refused module operation: a warning in the security log and <c>security:permission_denied</c>.</summary>
internal sealed class PermissionDenials(EventBus bus, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger(SecurityLog.Category);

    public ModulePermissionDeniedException Report(ModulePermissionDeniedException ex)
    {
        SecurityLog.PermissionDenied(_logger, ex.ModuleId, ex.Operation, ex.Resource, ex.Message);
        bus.Emit(CoreTopics.SecurityPermissionDenied, EventPayload.Create(
            ("module_id", ex.ModuleId), ("operation", ex.Operation), ("resource", ex.Resource)));
        return ex;
    }
}
