namespace Lyndrix.Core.Auth;

/// <summary>Which providers take part in logins and in which order. Decided when IAM starts: from
/// <c>LYNDRIX_AUTH_PROVIDERS</c>, else from the secret store (<c>core/auth</c> field <c>auth_providers</c>), else <c>local</c>.</summary>
internal sealed class AuthChainConfiguration(AuthSettings settings)
{
    private volatile Snapshot _current = new(settings.Providers, settings.LocalFallback,
        settings.ProvidersFromEnvironment ? "LYNDRIX_AUTH_PROVIDERS" : "default");

    public Snapshot Current => _current;

    public void Set(IReadOnlyList<string> providers, string source) => _current = _current with { Providers = providers, Source = source };

    /// <param name="Providers">Provider ids in the order they are tried.</param>
    /// <param name="LocalFallback">Whether <c>local</c> is tried last even when not listed (LYNDRIX_AUTH_LOCAL_FALLBACK).</param>
    /// <param name="Source">Where the list came from, for logs and <c>GET /api/auth/providers</c>.</param>
    internal sealed record Snapshot(IReadOnlyList<string> Providers, bool LocalFallback, string Source);
}
