using Microsoft.AspNetCore.Builder;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Authorization for endpoint groups of any area. Apply to a group or a single endpoint:
/// <c>app.MapGroup("/api/plugins").RequireLyndrixAdmin()</c>. Unauthenticated callers get 401, signed-in non-admins 403.
/// </summary>
internal static class LyndrixAuthorizationExtensions
{
    /// <summary>Only signed-in administrators.</summary>
    public static TBuilder RequireLyndrixAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(LyndrixAuthentication.AdminPolicy);

    /// <summary>Anyone while IAM is not ready yet (nobody can sign in then), signed-in administrators afterwards.</summary>
    public static TBuilder RequireLyndrixAdminOnceIamReady<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(LyndrixAuthentication.AdminOnceIamReadyPolicy);

    /// <summary>Any signed-in user.</summary>
    public static TBuilder RequireLyndrixUser<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(LyndrixAuthentication.UserPolicy);
}
