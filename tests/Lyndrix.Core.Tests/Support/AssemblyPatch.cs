using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Lyndrix.Core.Tests.Support;

/// <summary>Makes "a new build" of an assembly without compiling: the same image with another module version id.</summary>
internal static class AssemblyPatch
{
    /// <summary>Overwrites the module version id of <paramref name="path"/> in the file itself (same inode, as an in-place
    /// copy or a careless deploy does).</summary>
    /// <returns>The new module version id.</returns>
    public static Guid ReplaceModuleVersionIdInPlace(string path)
    {
        Guid old;
        using (var pe = new PEReader(File.OpenRead(path)))
        {
            var metadata = pe.GetMetadataReader();
            old = metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
        }

        var bytes = File.ReadAllBytes(path);
        var at = bytes.AsSpan().IndexOf(old.ToByteArray());
        if (at < 0)
        {
            throw new InvalidOperationException($"The module version id of {path} was not found in its bytes.");
        }

        var fresh = Guid.NewGuid();
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.Position = at;
        file.Write(fresh.ToByteArray());
        return fresh;
    }
}
