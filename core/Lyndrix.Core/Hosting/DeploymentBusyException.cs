namespace Lyndrix.Core.Hosting;

/// <summary>A <see cref="DeploymentLock"/> is held in a way that excludes the caller: a host runs where a restore was asked,
/// or a restore runs where a host was started. The message names the holders and what to do.</summary>
internal sealed class DeploymentBusyException(string message, IReadOnlyList<DeploymentHolder> holders, Exception? inner)
    : Exception(message, inner)
{
    public IReadOnlyList<DeploymentHolder> Holders { get; } = holders;
}
