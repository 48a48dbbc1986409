namespace Lyndrix.Core.Backup;

/// <summary>How a restore runs.</summary>
internal sealed record RestoreOptions
{
    /// <summary>Restore over a deployment that holds data (its previous state is saved to a safety archive first).</summary>
    public bool Force { get; init; }

    /// <summary>Where to write the archived <c>vault_keys.enc</c> (the target keeps its own key file, which opens its store).</summary>
    public string? KeyFileOut { get; init; }

    /// <summary>Called at each step ("table:NAME", "secret:N", "commit"); an exception there aborts the restore like a real
    /// failure at that point. Tests inject faults with it.</summary>
    public Func<string, Task>? Step { get; init; }
}
