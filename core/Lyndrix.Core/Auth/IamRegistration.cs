using Microsoft.AspNetCore.Http;
using Lyndrix.Core.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Lyndrix.Core.Secrets;

namespace Lyndrix.Core.Auth;

/// <summary>Registers this area's services and HTTP endpoints with the host.</summary>
internal static class IamRegistration
{
    /// <summary>Reads the auth settings (throwing <see cref="ConfigurationException"/> that names every bad variable, including
    /// development defaults refused outside ENV_TYPE=dev) and registers IAM.</summary>
    public static IServiceCollection Add(IServiceCollection services, HostSettings settings)
    {
        var auth = AuthSettings.Load(settings.Source, AppContext.BaseDirectory);
        services.AddSingleton(auth);
        services.AddSingleton(PasswordHashParameters.Default);
        services.AddSingleton<PasswordHashingPool>();
        services.AddSingleton<LoginAdmission>();
        services.AddSingleton<ISessionValidationCache, SessionValidationCache>();
        services.AddSingleton(sp => new PasswordHasher(sp.GetRequiredService<PasswordHashParameters>(), sp.GetRequiredService<PasswordHashingPool>()));
        services.AddSingleton<AuthChainConfiguration>();
        services.AddSingleton<AuthProviderChain>();
        services.AddSingleton<IamState>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton(sp => new LoginDeviceCookies(sp.GetRequiredService<AuthSettings>(), sp.GetRequiredService<TimeProvider>(),
            () => sp.GetService<ISecretBackend>()?.Store, sp.GetRequiredService<ILogger<LoginDeviceCookies>>()));
        services.AddSingleton<ClusterLoginFailures>();
        services.AddSingleton<SignInGate>();
        services.AddSingleton<SignInReporter>();
        services.AddSingleton<SsoHandoffCodes>();
        services.AddSingleton<LocalAuthProvider>();
        services.AddSingleton<AccountBootstrapper>();
        services.AddSingleton<UserAccounts>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<IModuleSettingsOverlay, FirstPartyAuthModules>();
        services.AddSingleton(IamRetryDelays.Default);
        services.AddSingleton<IamService>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<IamService>());

        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, BearerSessionHandler>(LyndrixAuthentication.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(LyndrixAuthentication.UserPolicy, p => p.AddAuthenticationSchemes(LyndrixAuthentication.Scheme).RequireAuthenticatedUser())
            .AddPolicy(LyndrixAuthentication.AdminPolicy, p => p.AddAuthenticationSchemes(LyndrixAuthentication.Scheme).RequireAuthenticatedUser()
                .RequireClaim(LyndrixAuthentication.AdminClaim, "true"))
            // Before IAM is ready nobody can sign in (sessions live in the database, which waits for the secret store), so the
            // secret store's init/unseal stay open then, guarded by the key itself and the rate limit; afterwards only admins.
            .AddPolicy(LyndrixAuthentication.AdminOnceIamReadyPolicy, p => p.AddAuthenticationSchemes(LyndrixAuthentication.Scheme)
                .RequireAssertion(c => c.Resource is HttpContext http
                    && (!http.RequestServices.GetRequiredService<IamState>().IsReady || c.User.HasClaim(LyndrixAuthentication.AdminClaim, "true"))));
        return services;
    }

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app) => app.MapAuthEndpoints();
}
