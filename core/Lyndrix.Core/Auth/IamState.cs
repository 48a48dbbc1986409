namespace Lyndrix.Core.Auth;

/// <summary>Whether IAM has finished its start (accounts bootstrapped, chain decided); logins wait for it. A host composed
/// without the data area's user and session stores settles as disabled: the boot goes on, logins answer 503 with the reason.</summary>
internal sealed class IamState
{
    private volatile bool _ready;
    private volatile string? _disabledReason;

    public bool IsReady => _ready;

    public string? DisabledReason => _disabledReason;

    public bool IsSettled => _ready || _disabledReason is not null;

    public void MarkReady() => _ready = true;

    public void MarkDisabled(string reason) => _disabledReason = reason;
}
