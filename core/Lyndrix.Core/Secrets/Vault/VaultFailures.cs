namespace Lyndrix.Core.Secrets.Vault;

/// <summary>Turns a failed Vault answer into the exception callers handle: sealed, unreachable (5xx and throttling after
/// retries) or refused (<see cref="VaultApiException"/>).</summary>
internal static class VaultFailures
{
    public static void ThrowIfFailed(VaultResponse response, VaultCall call, Uri baseAddress)
    {
        if (!response.IsSuccess)
        {
            throw For(response, call, baseAddress);
        }
    }

    public static Exception For(VaultResponse response, VaultCall call, Uri baseAddress)
    {
        if (response.IsSealed)
        {
            return new SecretBackendSealedException(
                $"Vault at {baseAddress} is sealed, so {call.Describe()} cannot run. Unseal it (lyndrix vault unseal, or the web console); " +
                "Lyndrix carries on once Vault is unsealed.");
        }

        if (response.StatusCode >= 500 || response.StatusCode is 412 or 429)
        {
            var attempts = response.Attempts > 1 ? $" (after {response.Attempts} attempts)" : "";
            var errors = response.Errors.Count > 0 ? ": " + string.Join("; ", response.Errors) : "";
            return new SecretBackendUnreachableException(
                $"Vault at {baseAddress} answered {response.StatusCode} to {call.Describe()}{attempts}{errors}. This is usually temporary " +
                "(a standby without a leader, throttling, a restarting node); if it persists, check Vault's logs and health (sys/health).");
        }

        return new VaultApiException(call.Describe(), response.StatusCode, response.Errors, response.Warnings);
    }
}
