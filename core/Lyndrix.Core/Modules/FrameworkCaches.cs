using System.Reflection;
using System.Reflection.Metadata;
using System.Runtime.Loader;

namespace Lyndrix.Core.Modules;

/// <summary>
/// Drops what the host's own (non-collectible) framework assemblies cache about types, so a plugin's types are not kept
/// alive by those caches after its unload. It uses the runtime's own hook for "code has changed": every
/// <c>[assembly: MetadataUpdateHandler(T)]</c> (System.ComponentModel's <c>TypeDescriptor</c>, which Newtonsoft.Json and
/// others use; System.Text.Json's metadata caches; …) has a static <c>ClearCache(Type[]?)</c> that hot reload calls;
/// <see langword="null"/> clears everything. The caches refill on demand, so the cost is a little warm-up afterwards.
/// </summary>
internal static class FrameworkCaches
{
    /// <returns>The handlers that were called, by type name (for the log).</returns>
    public static IReadOnlyList<string> Clear()
    {
        var called = new List<string>();
        foreach (var assembly in AssemblyLoadContext.Default.Assemblies)
        {
            foreach (var handler in assembly.GetCustomAttributes<MetadataUpdateHandlerAttribute>())
            {
                var clear = handler.HandlerType.GetMethod("ClearCache", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [typeof(Type[])]);
                if (clear is null)
                {
                    continue;
                }

                try
                {
                    clear.Invoke(null, [null]);
                    called.Add(handler.HandlerType.FullName ?? handler.HandlerType.Name);
                }
                catch (TargetInvocationException)
                {
                    // A handler that cannot clear leaves its cache as it was: the unload check reports what stays alive.
                }
            }
        }

        return called;
    }
}
