using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules;

/// <summary>
/// The assemblies the host shares with every plugin (the SDK contracts and the Microsoft.Extensions abstractions they
/// expose, with their Lyndrix/Microsoft.Extensions references) and the checks that keep their types identical on both
/// sides. McMaster's loader silently falls back to a plugin's private copy when the host cannot supply the version the
/// plugin asks for; these checks turn that silent split into a refusal that names the assembly and both versions.
/// </summary>
internal sealed class SharedAssemblyPolicy
{
    private SharedAssemblyPolicy(Type[] sharedTypes, IReadOnlyDictionary<string, Assembly> assemblies)
    {
        SharedTypes = sharedTypes;
        Assemblies = assemblies;
    }

    /// <summary>The policy of this process: shares <see cref="ILyndrixModule"/>'s and <see cref="ILogger"/>'s assemblies.</summary>
    public static SharedAssemblyPolicy Host { get; } = Create(typeof(ILyndrixModule), typeof(ILogger));

    /// <summary>Types handed to McMaster's loader; it shares their whole assemblies.</summary>
    public IReadOnlyList<Type> SharedTypes { get; }

    /// <summary>The host's instance of each shared assembly, by simple name.</summary>
    public IReadOnlyDictionary<string, Assembly> Assemblies { get; }

    public static SharedAssemblyPolicy Create(params Type[] sharedTypes)
    {
        var assemblies = new Dictionary<string, Assembly>(StringComparer.OrdinalIgnoreCase);
        var pending = new Queue<Assembly>(sharedTypes.Select(t => t.Assembly));
        while (pending.Count > 0)
        {
            var assembly = pending.Dequeue();
            if (!assemblies.TryAdd(assembly.GetName().Name!, assembly))
            {
                continue;
            }

            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (IsSharedFamily(reference.Name) && !assemblies.ContainsKey(reference.Name!))
                {
                    pending.Enqueue(AssemblyLoadContext.Default.LoadFromAssemblyName(reference));
                }
            }
        }

        return new SharedAssemblyPolicy(sharedTypes, assemblies);
    }

    private static bool IsSharedFamily(string? name) =>
        name is not null && (name.StartsWith("Lyndrix.Sdk", StringComparison.Ordinal) || name.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal));

    public Version HostVersion(string name) => Assemblies[name].GetName().Version ?? new Version(0, 0);

    /// <summary>Checks a plugin folder before any of its code loads: it must not carry a copy of a shared assembly, and no
    /// assembly in it may be compiled against a newer version of one than the host has.</summary>
    public IReadOnlyList<string> CheckFolder(string folder)
    {
        var problems = new List<string>();
        foreach (var name in Assemblies.Keys.Order(StringComparer.Ordinal))
        {
            var copy = Path.Combine(folder, name + ".dll");
            if (File.Exists(copy))
            {
                var theirs = TryGetVersion(copy);
                problems.Add(
                    $"The plugin folder carries its own {name}.dll (version {theirs?.ToString() ?? "unreadable"}); the host provides {name} {HostVersion(name)} " +
                    "and shares it with every plugin, so the plugin's copy would split type identity (\"cannot cast X to X\"). " +
                    $"Delete {name}.dll from the folder and build the plugin with the Lyndrix.Sdk package, which keeps shared assemblies out of the output.");
            }
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*.dll").Order(StringComparer.Ordinal))
        {
            foreach (var reference in ReadReferences(file))
            {
                if (reference.Name is { } name && Assemblies.TryGetValue(name, out var host) &&
                    reference.Version is { } wanted && wanted > (host.GetName().Version ?? new Version(0, 0)))
                {
                    problems.Add(Newer(Path.GetFileName(file), name, wanted, host));
                }
            }
        }

        return problems;
    }

    /// <summary>Checks a loaded plugin: every shared assembly its entry assembly references must resolve to the host's
    /// instance, and none may have been loaded into the plugin's own context.</summary>
    public IReadOnlyList<string> CheckLoaded(AssemblyLoadContext context, Assembly entry)
    {
        var problems = new List<string>();
        foreach (var reference in entry.GetReferencedAssemblies())
        {
            if (reference.Name is not { } name || !Assemblies.TryGetValue(name, out var host))
            {
                continue;
            }

            Assembly resolved;
            try
            {
                resolved = context.LoadFromAssemblyName(reference);
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                problems.Add($"{entry.GetName().Name} needs {name} {reference.Version}, which the host cannot supply (the host has {host.GetName().Version}): {ex.Message}");
                continue;
            }

            if (!ReferenceEquals(resolved, host))
            {
                problems.Add(Split(name, resolved, host));
            }
            else if (reference.Version is { } wanted && wanted > (host.GetName().Version ?? new Version(0, 0)))
            {
                // The default context hands an unsigned assembly over whatever version was asked for: no split, but the
                // plugin would run against an older API than it was built for and fail later with MissingMethodException.
                problems.Add(Newer(entry.GetName().Name + ".dll", name, wanted, host));
            }
        }

        foreach (var loaded in context.Assemblies)
        {
            var name = loaded.GetName().Name;
            if (name is not null && Assemblies.TryGetValue(name, out var host) && !ReferenceEquals(loaded, host) &&
                !problems.Any(p => p.StartsWith($"{name} ", StringComparison.Ordinal)))
            {
                problems.Add(Split(name, loaded, host));
            }
        }

        return problems;
    }

    private static string Newer(string file, string name, Version wanted, Assembly host) =>
        $"{file} was compiled against {name} {wanted}, but the host provides {name} {host.GetName().Version}. " +
        $"A plugin cannot bring a newer {name} (the host's copy is the one every plugin shares): build it against " +
        $"{name} {host.GetName().Version} or older, or upgrade the host.";

    private static string Split(string name, Assembly plugins, Assembly host) =>
        $"{name} {plugins.GetName().Version} was loaded from the plugin ({Where(plugins)}) instead of the host's {name} {host.GetName().Version} ({Where(host)}): " +
        "the plugin would see types that are not the host's. Remove the plugin's copy and build it against the host's version.";

    private static string Where(Assembly a) => string.IsNullOrEmpty(a.Location) ? "in memory" : a.Location;

    private static Version? TryGetVersion(string path)
    {
        try
        {
            return AssemblyName.GetAssemblyName(path).Version;
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or IOException)
        {
            return null;
        }
    }

    /// <summary>Reads an assembly's references from its metadata without loading it; native or unreadable files give none.</summary>
    internal static IReadOnlyList<AssemblyName> ReadReferences(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                return [];
            }

            var reader = pe.GetMetadataReader();
            if (!reader.IsAssembly)
            {
                return [];
            }

            return reader.AssemblyReferences
                .Select(h => reader.GetAssemblyReference(h))
                .Select(r => new AssemblyName(reader.GetString(r.Name)) { Version = r.Version })
                .ToList();
        }
        catch (Exception ex) when (ex is BadImageFormatException or IOException or InvalidOperationException)
        {
            return [];
        }
    }
}
