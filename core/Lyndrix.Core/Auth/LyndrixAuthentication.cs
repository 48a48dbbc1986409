namespace Lyndrix.Core.Auth;

/// <summary>Names shared by the bearer scheme, its claims and the authorization policies.</summary>
internal static class LyndrixAuthentication
{
    public const string Scheme = "LyndrixBearer";
    public const string UserPolicy = "lyndrix:user";
    public const string AdminPolicy = "lyndrix:admin";
    public const string AdminOnceIamReadyPolicy = "lyndrix:admin-once-iam-ready";
    public const string SessionIdClaim = "lyndrix:session";
    public const string AdminClaim = "lyndrix:admin";
    public const string ProviderClaim = "lyndrix:provider";

    /// <summary>Present only on sessions authenticated by the browser's cookie: the CSRF token its page must send.</summary>
    public const string CsrfClaim = "lyndrix:csrf";
}
