using Lyndrix.Core.Auth;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;

namespace Lyndrix.Core.Modules;

/// <summary>One module's access to the auth provider registry: providers are registered under its id, which the host
/// chose; the registry refuses built-in and other modules' ids.</summary>
internal sealed class ModuleProviderPort(string moduleId, IAuthProviderRegistry providers, PermissionDenials denials)
{
    public void Register(IAuthProvider provider)
    {
        try
        {
            providers.Register(moduleId, provider);
        }
        catch (ModulePermissionDeniedException ex)
        {
            denials.Report(ex);
            throw;
        }
    }
}
