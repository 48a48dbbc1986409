using System.Runtime.CompilerServices;
using McMaster.NETCore.Plugins;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules;

/// <summary>A plugin's code in its own collectible load context. The host keeps no other reference to the plugin's
/// types, so disposing the loader and dropping this object lets the context be collected.</summary>
internal sealed class LoadedPlugin
{
    private PluginLoader? _loader;
    private Type? _moduleType;

    public LoadedPlugin(PluginLoader loader, Type moduleType)
    {
        _loader = loader;
        _moduleType = moduleType;
        ModuleTypeName = moduleType.FullName ?? moduleType.Name;
        // AssemblyLoadContext.ToString() ends with "#<id>", the context's number for the life of the process.
        var name = loader.LoadContext.ToString();
        ContextId = long.TryParse(name.AsSpan(name.LastIndexOf('#') + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : -1;
    }

    public string ModuleTypeName { get; }

    /// <summary>The load context's id (-1 if unknown): how an inspection of the process finds it after unloading.</summary>
    public long ContextId { get; }

    public bool IsUnloaded => _loader is null;

    /// <summary>Creates a fresh module instance (one per activation).</summary>
    public ILyndrixModule CreateModule()
    {
        var type = _moduleType ?? throw new ObjectDisposedException(nameof(LoadedPlugin), "The plugin's code has been unloaded.");
        return (ILyndrixModule)Activator.CreateInstance(type)!;
    }

    /// <summary>Starts unloading the load context and returns a weak reference to it, to confirm it is collected.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public WeakReference Unload()
    {
        var loader = _loader ?? throw new InvalidOperationException("The plugin's code is already unloaded.");
        var weak = new WeakReference(loader.LoadContext, trackResurrection: true);
        _moduleType = null;
        _loader = null;
        loader.Dispose();
        return weak;
    }
}
