using Lyndrix.Sdk.Auth;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>An auth provider that lives in an isolated plugin's process; the chain calls it across the channel under
/// its usual timeout (<c>LYNDRIX_AUTH_PROVIDER_TIMEOUT</c>), and the identity it returns is re-stamped with its id.
/// <see cref="IsConfigured"/> is the last value the child reported (it reports changes as it sees them).</summary>
internal sealed class RemoteAuthProvider(string providerId, string displayName, bool isConfigured, Func<IPluginChildRpc> child) : IAuthProvider
{
    private volatile bool _configured = isConfigured;

    public string ProviderId => providerId;

    public string DisplayName => displayName;

    public bool IsConfigured => _configured;

    public void Configured(bool value) => _configured = value;

    public async Task<AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken)
    {
        var result = await child().AuthenticateAsync(providerId, username, password, cancellationToken).ConfigureAwait(false);
        return result is null ? null : new AuthResult(result.Username, providerId)
        {
            FullName = result.FullName,
            Email = result.Email,
            EmailVerified = result.EmailVerified,
            Roles = result.Roles,
            ProviderUserId = result.ProviderUserId,
        };
    }
}
