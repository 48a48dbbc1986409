using System.Reflection;
using System.Runtime.CompilerServices;
using McMaster.NETCore.Plugins;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules;

/// <summary>
/// Loads a validated plugin folder into its own collectible load context through McMaster.NETCore.Plugins, with the
/// SDK and logging abstractions shared with the host, and finds the one class implementing <see cref="ILyndrixModule"/>.
/// Shared-assembly checks run before any code loads (the folder) and after (what the context resolved).
/// </summary>
internal static class PluginCodeLoader
{
    /// <exception cref="PluginLoadException">The plugin is refused or its code cannot be loaded; the message says why.</exception>
    public static LoadedPlugin Load(PluginDescriptor descriptor, SharedAssemblyPolicy policy, bool checkFolderFirst = true)
    {
        if (!descriptor.IsValid)
        {
            throw new PluginLoadException($"The manifest of {descriptor.Folder} is invalid: {string.Join(" ", descriptor.Errors)}");
        }

        if (checkFolderFirst)
        {
            var problems = policy.CheckFolder(descriptor.Folder);
            if (problems.Count > 0)
            {
                throw new PluginLoadException("Refused before loading: " + string.Join(" ", problems));
            }
        }

        // In memory: the files are read once and not mapped, so a plugin's files can be replaced while it runs (a reload then
        // loads the new bytes) and a context that is still held after an unload never serves its stale image to the next load
        // (the runtime shares a mapped image by path).
        var loader = PluginLoader.CreateFromAssemblyFile(descriptor.EntryAssemblyPath, isUnloadable: true, sharedTypes: [.. policy.SharedTypes],
            config => config.LoadInMemory = true);
        try
        {
            var moduleType = Inspect(loader, descriptor, policy);
            return new LoadedPlugin(loader, moduleType);
        }
        catch
        {
            loader.Dispose();
            throw;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Type Inspect(PluginLoader loader, PluginDescriptor descriptor, SharedAssemblyPolicy policy)
    {
        var file = descriptor.Manifest!.EntryAssembly!;
        Assembly entry;
        try
        {
            entry = loader.LoadDefaultAssembly();
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or FileNotFoundException)
        {
            throw new PluginLoadException($"{file} could not be loaded: {ex.Message} Is it a .NET assembly built for net10.0?");
        }

        var identity = policy.CheckLoaded(loader.LoadContext, entry);
        if (identity.Count > 0)
        {
            throw new PluginLoadException("Refused after loading: " + string.Join(" ", identity));
        }

        Type[] types;
        try
        {
            types = entry.GetExportedTypes();
        }
        catch (Exception ex) when (ex is ReflectionTypeLoadException or TypeLoadException or FileNotFoundException or FileLoadException)
        {
            var detail = ex is ReflectionTypeLoadException rtle
                ? string.Join(" ", rtle.LoaderExceptions.Where(e => e is not null).Select(e => e!.Message).Distinct().Take(3))
                : ex.Message;
            throw new PluginLoadException($"The types of {file} could not be read: {detail} A dependency is probably missing from the plugin folder; publish the plugin (dotnet publish) rather than copying the build output.");
        }

        var modules = types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ILyndrixModule).IsAssignableFrom(t)).ToList();
        if (modules.Count == 0)
        {
            var lookalike = types.FirstOrDefault(t => t.GetInterfaces().Any(i => i.FullName == typeof(ILyndrixModule).FullName));
            if (lookalike is not null)
            {
                var theirs = lookalike.GetInterfaces().First(i => i.FullName == typeof(ILyndrixModule).FullName).Assembly;
                throw new PluginLoadException(
                    $"{lookalike.FullName} implements {typeof(ILyndrixModule).FullName} from {theirs.GetName().Name} {theirs.GetName().Version}, " +
                    $"not the host's {typeof(ILyndrixModule).Assembly.GetName().Version}: the plugin sees its own copy of the SDK. " +
                    "Remove that copy from the plugin folder and build against the host's Lyndrix.Sdk version.");
            }

            throw new PluginLoadException($"{file} has no public, non-abstract class implementing {typeof(ILyndrixModule).FullName}. Add one (with a public parameterless constructor); it is the plugin's entry point.");
        }

        if (modules.Count > 1)
        {
            throw new PluginLoadException($"{file} has {modules.Count} classes implementing ILyndrixModule ({string.Join(", ", modules.Select(m => m.FullName))}); a plugin has exactly one entry point. Make the others internal or abstract.");
        }

        var module = modules[0];
        if (module.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new PluginLoadException($"{module.FullName} has no public parameterless constructor; the host creates the module with one and hands it everything else through IModuleContext in SetupAsync.");
        }

        return module;
    }
}
