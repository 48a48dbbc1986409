using Lyndrix.Sdk.Auth;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>An auth provider that lives in an isolated plugin's process; the chain calls it across the channel under
/// its usual timeout (<c>LYNDRIX_AUTH_PROVIDER_TIMEOUT</c>), and the identity it returns is re-stamped with its id.</summary>
internal sealed class RemoteAuthProvider(string providerId, string displayName, bool isConfigured, Func<IPluginChildRpc> child) : IAuthProvider
{
    public string ProviderId => providerId;

    public string DisplayName => displayName;

    public bool IsConfigured => isConfigured;

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
