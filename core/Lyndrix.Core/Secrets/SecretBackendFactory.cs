using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Secrets.Vault;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets;

/// <summary>Chooses the backend: HashiCorp Vault when <c>VAULT_URL</c> is set, else the embedded store.</summary>
internal static class SecretBackendFactory
{
    public static ISecretBackend Create(IServiceProvider services, SecretStoreSettings settings) =>
        settings.VaultUrl is null
            ? EmbeddedSecretBackend.Create(settings, services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<ILogger<EmbeddedSecretBackend>>())
            : new VaultSecretBackend(services.GetRequiredService<VaultSettings>(), services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<ILogger<VaultSecretBackend>>());
}
