using Lyndrix.Core.Configuration;
using Lyndrix.Core.Secrets.Embedded;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Secrets;

/// <summary>Chooses the backend: HashiCorp Vault when <c>VAULT_URL</c> is set, else the embedded store.</summary>
internal static class SecretBackendFactory
{
    public static ISecretBackend Create(IServiceProvider services, SecretStoreSettings settings) =>
        settings.VaultUrl is null
            ? EmbeddedSecretBackend.Create(settings, services.GetRequiredService<TimeProvider>())
            : CreateVault(services, settings);

    private static ISecretBackend CreateVault(IServiceProvider services, SecretStoreSettings settings) =>
        throw new ConfigurationException([
            $"VAULT_URL is set ({settings.VaultUrl}), but this build has no Vault client yet. Unset VAULT_URL to use the embedded secret store.",
        ]);
}
