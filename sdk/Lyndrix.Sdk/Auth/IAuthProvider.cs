namespace Lyndrix.Sdk.Auth;

/// <summary>An authentication provider in the login chain.</summary>
public interface IAuthProvider
{
    /// <summary>The id used in <c>LYNDRIX_AUTH_PROVIDERS</c>; lower-case letters, digits, <c>-</c> and <c>_</c>.</summary>
    string ProviderId { get; }

    /// <summary>A label for login pages.</summary>
    string DisplayName { get; }

    /// <summary>Whether the provider has the settings it needs; unconfigured providers are skipped.</summary>
    bool IsConfigured { get; }

    /// <summary>Checks a username and password.</summary>
    /// <param name="username">The user name as typed.</param>
    /// <param name="password">The password; never log it.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The identity on success; <see langword="null"/> when the credentials are not accepted.</returns>
    Task<AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken);
}
