using Lyndrix.Sdk.Auth;

namespace Lyndrix.Core.Tests.Auth.Support;

/// <summary>A provider whose behaviour a test scripts: accepts one user/password, throws, hangs, or claims to be unconfigured.
/// It records every call so tests can see the order in which the chain asked providers.</summary>
internal sealed class FakeAuthProvider(string providerId, List<string>? calls = null) : IAuthProvider
{
    private readonly string id = providerId;

    public string ProviderId => id;

    public string DisplayName => $"Fake {id}";

    public bool IsConfigured { get; set; } = true;

    public string? AcceptUser { get; set; }

    public string? AcceptPassword { get; set; }

    public Exception? Throw { get; set; }

    public bool Hang { get; set; }

    public string ReportedProvider { get; set; } = providerId;

    public IReadOnlyList<string> Roles { get; set; } = [];

    public List<string> Calls { get; } = calls ?? [];

    public async Task<AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken)
    {
        Calls.Add(id);
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (Throw is not null)
        {
            throw Throw;
        }

        return username == AcceptUser && password == AcceptPassword
            ? new AuthResult(username, ReportedProvider) { Roles = Roles, FullName = username.ToUpperInvariant() }
            : null;
    }
}
