using Lyndrix.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Hosting;

/// <summary>Holds the host's shared <see cref="DeploymentLock"/> from the first hosted service to the end of the process, so
/// <c>lyndrix backup restore</c> refuses to run under it. Started before every other service: a host that a running restore
/// refuses fails before it opens the secret store or the database.</summary>
internal sealed partial class DeploymentLockService(HostSettings settings, TimeProvider time, ILogger<DeploymentLockService> logger)
    : IHostedService, IDisposable
{
    private DeploymentLock? _lock;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _lock = DeploymentLock.ForHost(settings.SecurityDir, DeploymentHolder.Current(DeploymentHolder.HostRole, settings.InstanceId, time));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A read-only SECURITY_DIR (a Vault deployment opened with a token) must not stop the host; only the restore's check is lost.
            LockUnavailable(logger, DeploymentLock.FolderIn(settings.SecurityDir), ex.Message);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _lock?.Dispose();

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning,
        Message = "The deployment lock in {Folder} could not be taken ({Reason}): 'lyndrix backup restore' will not see that this host runs")]
    private static partial void LockUnavailable(ILogger logger, string folder, string reason);
}
