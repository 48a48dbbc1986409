using System.Security.Cryptography;
using System.Text;
using Lyndrix.Sdk.Auth;

namespace Lyndrix.Samples.AuthProvider;

/// <summary>Accepts one user with one password. Compares in constant time and never logs the password.</summary>
public sealed class StaticAuthProvider(string username, string providerId = "sample-static") : IAuthProvider
{
    private volatile byte[]? _passwordHash;

    public string Username { get; } = username;

    public string ProviderId { get; } = providerId;

    public string DisplayName => "Sample static login";

    /// <summary>False until the password has been read from the secret store: the chain skips the provider until then.</summary>
    public bool IsConfigured => _passwordHash is not null;

    public void SetPassword(string password) => _passwordHash = SHA256.HashData(Encoding.UTF8.GetBytes(password));

    public Task<AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken)
    {
        var expected = _passwordHash;
        var ok = expected is not null && username == Username &&
                 CryptographicOperations.FixedTimeEquals(expected, SHA256.HashData(Encoding.UTF8.GetBytes(password ?? "")));
        return Task.FromResult(ok ? new AuthResult(username, ProviderId) { FullName = "Demo User" } : null);
    }
}
