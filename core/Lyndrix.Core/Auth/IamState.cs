namespace Lyndrix.Core.Auth;

/// <summary>Whether IAM has finished its start (accounts bootstrapped, chain decided); logins wait for it.</summary>
internal sealed class IamState
{
    private volatile bool _ready;

    public bool IsReady => _ready;

    public void MarkReady() => _ready = true;
}
