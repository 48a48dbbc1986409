using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;

namespace Lyndrix.Core.Tests.Secrets.Embedded;

/// <summary>What the lifecycle does, for tests that need an open embedded store: init, store a key file (a stand-in: the
/// backend never reads it), unseal.</summary>
internal static class EmbeddedStores
{
    public static async Task<(EmbeddedSecretBackend Backend, KeyMaterial Material)> OpenAsync(string securityDir, TimeProvider? time = null, int defaultMaxVersions = 10)
    {
        var backend = new EmbeddedSecretBackend(EmbeddedStorePaths.In(securityDir), time ?? TimeProvider.System, defaultMaxVersions: defaultMaxVersions);
        var material = await backend.InitializeAsync(CancellationToken.None);
        await File.WriteAllTextAsync(backend.Paths.KeyFile, "stand-in");
        await backend.UnsealAsync(material, CancellationToken.None);
        return (backend, material);
    }

    public static async Task<EmbeddedSecretBackend> ReopenAsync(string securityDir, KeyMaterial material)
    {
        var backend = new EmbeddedSecretBackend(EmbeddedStorePaths.In(securityDir), TimeProvider.System);
        await backend.UnsealAsync(material, CancellationToken.None);
        return backend;
    }
}
