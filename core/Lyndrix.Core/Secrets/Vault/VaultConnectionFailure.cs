namespace Lyndrix.Core.Secrets.Vault;

/// <summary>Inside the transport only: an attempt failed below HTTP. <see cref="RequestNeverSent"/> says whether any call,
/// even a non-idempotent one, may be repeated; <see cref="Transient"/> whether repeating can help at all (a certificate that is
/// not trusted stays untrusted).</summary>
internal sealed class VaultConnectionFailure(string reason, string advice, bool requestNeverSent, Exception inner, bool transient = true)
    : Exception(reason, inner)
{
    public bool Transient { get; } = transient;

    public string Reason { get; } = reason;

    public string Advice { get; } = advice;

    public bool RequestNeverSent { get; } = requestNeverSent;
}
