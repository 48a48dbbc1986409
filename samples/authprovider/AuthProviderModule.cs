using System.Security.Cryptography;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Samples.AuthProvider;

/// <summary>Registers <see cref="StaticAuthProvider"/>. It takes part in logins only when <c>sample-static</c> is listed in
/// <c>LYNDRIX_AUTH_PROVIDERS</c>, at the position it has there.</summary>
public sealed class AuthProviderModule : ILyndrixModule
{
    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        var provider = new StaticAuthProvider(context.Settings["username"] ?? "demo");
        context.RegisterAuthProvider(provider);

        // Built-in ids are the core's: a plugin cannot replace the local login.
        try
        {
            context.RegisterAuthProvider(new StaticAuthProvider("demo", "local"));
        }
        catch (ModulePermissionDeniedException ex)
        {
            context.Logger.LogInformation("As expected, the host refused to let a plugin take over 'local': {Message}", ex.Message);
        }

        context.Subscribe(CoreTopics.VaultReadyForData, async (_, ct) =>
        {
            var password = await context.GetSecretAsync("demo_password", ct);
            if (password is null)
            {
                password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
                await context.SetSecretAsync("demo_password", password, ct);
                context.Logger.LogInformation(
                    "Generated a password for '{User}' and stored it in this plugin's secret (field demo_password); it is never logged", provider.Username);
            }

            provider.SetPassword(password);
        });
        return Task.CompletedTask;
    }
}
