using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

namespace Lyndrix.Core.Modules;

/// <summary>
/// Names what keeps an unloaded plugin's load context alive. Attaches to the host process (suspended, with ClrMD: a process
/// cannot inspect itself, so this runs in a child), finds the context by its id, and walks breadth-first from the GC roots —
/// static fields by name first, then handles, thread stacks and the finalizer queue — to the first objects that belong to the
/// context: instances of its types, <see cref="Type"/> objects for them, or the context itself. One chain per root, shortest
/// first. Only type and field names are written, never a value.
/// </summary>
internal static class HeldContextWalk
{
    private const string LoadContextType = "System.Runtime.Loader.AssemblyLoadContext";

    /// <returns>Up to <paramref name="max"/> chains, each <c>root → type → .field type → …</c>; empty when nothing outside the
    /// context reaches it any more (it is about to be collected).</returns>
    /// <exception cref="InvalidOperationException">The process or the context cannot be inspected; the message says why.</exception>
    public static IReadOnlyList<string> Find(int pid, long contextId, int max, TimeSpan budget)
    {
        var deadline = Stopwatch.StartNew();
        using var target = DataTarget.AttachToProcess(pid, suspend: true);
        var clr = target.ClrVersions.FirstOrDefault() ?? throw new InvalidOperationException($"Process {pid} runs no .NET runtime.");
        // The DAC beside the target's own runtime: the same files the host runs on (no symbol server on Linux).
        var dac = Path.Combine(Path.GetDirectoryName(clr.ModuleInfo.FileName) ?? RuntimeEnvironment.GetRuntimeDirectory(),
            OperatingSystem.IsWindows() ? "mscordaccore.dll" : "libmscordaccore.so");
        using var runtime = File.Exists(dac) ? clr.CreateRuntime(dac, ignoreMismatch: true) : clr.CreateRuntime();
        var heap = runtime.Heap;
        var context = FindContext(heap, contextId);
        if (context == 0)
        {
            throw new InvalidOperationException($"load context #{contextId} is no longer in the process");
        }

        var dependents = runtime.EnumerateHandles().Where(h => h.HandleKind == ClrHandleKind.Dependent && !h.Object.IsNull && !h.Dependent.IsNull)
            .ToLookup(h => h.Object.Address, h => h.Dependent.Address);
        var parents = new Dictionary<ulong, ulong>();
        var rootOf = new Dictionary<ulong, string>();
        var queue = new Queue<ulong>();
        void Seed(ulong address, string root)
        {
            if (address != 0 && parents.TryAdd(address, 0))
            {
                rootOf[address] = root;
                queue.Enqueue(address);
            }
        }

        foreach (var (address, name) in NamedStatics(runtime))
        {
            Seed(address, name);
        }

        var roots = heap.EnumerateRoots().Where(r => !r.Object.IsNull).ToList();
        // The context's own strong handle (the runtime holds it while it unloads) is not what keeps it.
        foreach (var root in roots.Where(r => r.RootKind != ClrRootKind.StaticVar &&
                                              !(r.Object.Address == context && r.RootKind is ClrRootKind.StrongHandle or ClrRootKind.PinnedHandle)))
        {
            Seed(root.Object.Address, Describe(root.RootKind));
        }

        // Static slots not named above, last. One that points straight at the context's own Type objects is the context's
        // own bookkeeping, not a holder.
        foreach (var root in roots.Where(r => r.RootKind == ClrRootKind.StaticVar && BelongsTo(heap, r.Object, context) is null))
        {
            Seed(root.Object.Address, "a static field");
        }

        var chains = new List<string>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        while (queue.Count > 0 && chains.Count < max && deadline.Elapsed < budget)
        {
            var address = queue.Dequeue();
            var obj = heap.GetObject(address);
            if (!obj.IsValid)
            {
                continue;
            }

            if (BelongsTo(heap, obj, context) is { } what)
            {
                if (reported.Add(rootOf[address]))
                {
                    chains.Add(Chain(heap, parents, dependents, rootOf[address], address, what));
                }

                continue;
            }

            // References by address only: naming fields costs a metadata walk per generic type (up to a second each), so only the
            // few links of a reported chain are named. Dependent handles (ConditionalWeakTable entries) come from one read of the table.
            foreach (var child in obj.EnumerateReferenceAddresses(carefully: true, considerDependantHandles: false).Concat(dependents[address]))
            {
                if (child != 0 && parents.TryAdd(child, address))
                {
                    rootOf[child] = rootOf[address];
                    queue.Enqueue(child);
                }
            }
        }

        return chains;
    }

    private static ulong FindContext(ClrHeap heap, long contextId)
    {
        var isContext = new Dictionary<ClrType, bool>();
        foreach (var obj in heap.EnumerateObjects())
        {
            if (obj.Type is not { } type)
            {
                continue;
            }

            if (!isContext.TryGetValue(type, out var yes))
            {
                for (var t = type; t is not null && !yes; t = t.BaseType)
                {
                    yes = t.Name == LoadContextType;
                }

                isContext[type] = yes;
            }

            if (yes && obj.ReadField<long>("_id") == contextId)
            {
                return obj.Address;
            }
        }

        return 0;
    }

    /// <summary>Every initialized static field holding an object, by <c>Type.field</c>, over every loaded type of every module
    /// (the runtime's list of types with statics misses some, e.g. <see cref="AppDomain"/>'s).</summary>
    private static IEnumerable<(ulong Address, string Name)> NamedStatics(ClrRuntime runtime)
    {
        var seen = new HashSet<ulong>();
        foreach (var module in runtime.EnumerateModules())
        {
            var types = module.EnumerateTypeDefToMethodTableMap().Select(m => runtime.GetTypeByMethodTable(m.MethodTable))
                .Concat(module.EnumerateTypesWithStaticFields());
            foreach (var type in types.OfType<ClrType>().Where(t => seen.Add(t.MethodTable)))
            {
                foreach (var field in type.StaticFields.Where(f => f.IsObjectReference))
                {
                    foreach (var domain in runtime.AppDomains)
                    {
                        ClrObject value;
                        try
                        {
                            value = field.ReadObject(domain);
                        }
                        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException)
                        {
                            continue;
                        }

                        if (value.IsValid)
                        {
                            yield return (value.Address, $"static field {type.Name}.{field.Name}");
                        }
                    }
                }
            }
        }
    }

    /// <summary>What the object is to the context, or null when it is not the context's.</summary>
    private static string? BelongsTo(ClrHeap heap, ClrObject obj, ulong context)
    {
        if (obj.Type is not { } type)
        {
            return null;
        }

        if (obj.Address == context)
        {
            return $"the load context itself ({type.Name})";
        }

        if (type.IsCollectible && type.AssemblyLoadContextAddress == context)
        {
            return $"an instance of the plugin's {type.Name}";
        }

        if (type.Name == "System.RuntimeType" && heap.GetTypeByMethodTable((ulong)obj.ReadField<nuint>("m_handle")) is { IsCollectible: true } represented &&
            represented.AssemblyLoadContextAddress == context)
        {
            return $"the Type object of the plugin's {represented.Name}";
        }

        return null;
    }

    /// <summary><c>root: Holder.field → Next[] → … → what</c>: each holder's type with the field (or array slot) that leads on.</summary>
    private static string Chain(ClrHeap heap, Dictionary<ulong, ulong> parents, ILookup<ulong, ulong> dependents, string root, ulong found, string what)
    {
        var hops = new List<string>();
        for (var address = found; parents[address] is var from && from != 0; address = from)
        {
            hops.Add(Link(heap, dependents, from, address));
        }

        hops.Reverse();
        if (hops.Count > 8)
        {
            hops = [.. hops.Take(3), "…", .. hops.TakeLast(4)];
        }

        return root + ": " + string.Concat(hops.Select(h => h + " → ")) + what;
    }

    /// <summary>The holder's type and how it reaches <paramref name="to"/>: <c>Type.field</c>, <c>Type[]</c>, or a dependent handle.</summary>
    private static string Link(ClrHeap heap, ILookup<ulong, ulong> dependents, ulong from, ulong to)
    {
        var holder = heap.GetObject(from);
        var name = holder.Type?.Name ?? "?";
        if (holder.IsArray)
        {
            return name;
        }

        if (holder.Type?.Fields.FirstOrDefault(f => f.IsObjectReference && f.ReadObject(from, interior: false).Address == to) is { } field)
        {
            return $"{name}.{field.Name}";
        }

        return dependents[from].Contains(to) ? $"{name} (by a dependent handle)" : name;
    }

    private static string Describe(ClrRootKind kind) => kind switch
    {
        ClrRootKind.Stack => "a local variable on a thread's stack",
        ClrRootKind.ThreadStaticVar => "a [ThreadStatic] field",
        ClrRootKind.FinalizerQueue => "the finalizer queue (an object awaiting finalization)",
        ClrRootKind.StrongHandle => "a strong GC handle (e.g. a GCHandle, a timer or a native callback)",
        ClrRootKind.PinnedHandle or ClrRootKind.AsyncPinnedHandle => "a pinned GC handle",
        _ => $"a GC root ({kind})",
    };
}
