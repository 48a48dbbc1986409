using Lyndrix.Sdk.Auth;

namespace Probe;

internal sealed class ProbeAuthProvider(string id) : IAuthProvider
{
    public string ProviderId => id;

    public string DisplayName => "Probe";

    public bool IsConfigured => true;

    public Task<AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken) =>
        Task.FromResult(username == "probe" && password == "probe" ? new AuthResult(username, id) : null);
}
