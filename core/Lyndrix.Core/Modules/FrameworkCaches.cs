using System.Collections;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Reflection;
using System.Reflection.Metadata;
using System.Runtime.Loader;

namespace Lyndrix.Core.Modules;

/// <summary>
/// Drops what the host's own (non-collectible) framework assemblies cache about a plugin's types, so those caches do not keep
/// its load context alive after an unload:
/// <list type="bullet">
/// <item>the runtime's own hook for "code has changed": every <c>[assembly: MetadataUpdateHandler(T)]</c> (System.Text.Json's
/// metadata caches, the reflection caches behind <c>TypeDescriptor</c>, …) has a static <c>ClearCache(Type[]?)</c> that hot
/// reload calls; <see langword="null"/> clears everything;</item>
/// <item>two per-type tables of <see cref="TypeDescriptor"/> that the hook leaves alone (the default provider's type data and
/// the "default provider initialized" set). Newtonsoft.Json asks <c>TypeDescriptor</c> for a converter of every type it
/// serializes, so without this a plugin that used it never unloads. Private framework fields: if a later .NET renames them,
/// nothing breaks here, and the unload test says that plugins stopped unloading.</item>
/// </list>
/// The caches refill on demand, so the cost is a little warm-up afterwards.
/// </summary>
internal static class FrameworkCaches
{
    /// <summary>Each default-context assembly's <c>ClearCache</c> methods, looked up once (those assemblies never unload).</summary>
    private static readonly ConcurrentDictionary<Assembly, MethodInfo[]> Handlers = new();

    /// <returns>What was cleared (for the log).</returns>
    public static IReadOnlyList<string> Clear(AssemblyLoadContext? unloading)
    {
        var cleared = new List<string>();
        foreach (var clear in AssemblyLoadContext.Default.Assemblies.SelectMany(a => Handlers.GetOrAdd(a, ClearMethods)))
        {
            try
            {
                clear.Invoke(null, [null]);
                cleared.Add(clear.DeclaringType!.Name);
            }
            catch (TargetInvocationException)
            {
                // A handler that cannot clear leaves its cache as it was: the unload check reports what stays alive.
            }
        }

        if (unloading is not null)
        {
            var initialized = typeof(TypeDescriptor).GetField("s_defaultProviderInitialized", BindingFlags.Static | BindingFlags.NonPublic)?.GetValue(null);
            var node = TypeDescriptor.GetProvider(typeof(object));
            var provider = node.GetType().GetField("Provider", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(node) ?? node;
            var typeData = provider.GetType().GetField("_typeData", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(provider);
            var removed = RemoveTypesOf(initialized as IDictionary, unloading) + RemoveTypesOf(typeData as IDictionary, unloading);
            cleared.Add($"TypeDescriptor ({removed} type entries)");
        }

        return cleared;
    }

    private static MethodInfo[] ClearMethods(Assembly assembly) =>
        assembly.GetCustomAttributes<MetadataUpdateHandlerAttribute>()
            .Select(h => h.HandlerType.GetMethod("ClearCache", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [typeof(Type[])]))
            .OfType<MethodInfo>()
            .ToArray();

    private static int RemoveTypesOf(IDictionary? table, AssemblyLoadContext unloading)
    {
        if (table is null)
        {
            return 0;
        }

        var types = table.Keys.OfType<Type>().Where(t => AssemblyLoadContext.GetLoadContext(t.Assembly) == unloading).ToList();
        foreach (var type in types)
        {
            table.Remove(type);
        }

        return types.Count;
    }
}
