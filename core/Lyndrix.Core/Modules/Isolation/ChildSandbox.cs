namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// What a plugin's process enters before the plugin's code loads: the plugin's own working directory and its GC heap limit
/// (<c>LYNDRIX_PLUGIN_&lt;ID&gt;_MEMORY_MB</c>). Applied inside the child, so a process started before its plugin was known
/// (a spare) ends up exactly where a process started for that plugin would. The account and the empty environment are
/// fixed when the process starts (<c>PluginProcess</c>).
/// </summary>
internal sealed record ChildSandbox(string? WorkingDirectory, long? MemoryLimitBytes)
{
    public static readonly ChildSandbox None = new(null, null);

    /// <summary>Child side: moves into the working directory and sets the heap limit.</summary>
    /// <exception cref="InvalidOperationException">The process already uses more than the limit (the message says so).</exception>
    public void Enter()
    {
        if (WorkingDirectory is { } directory)
        {
            Directory.SetCurrentDirectory(directory);
        }

        if (MemoryLimitBytes is { } limit)
        {
            AppContext.SetData("GCHeapHardLimit", (ulong)limit);
            try
            {
                GC.RefreshMemoryLimit();
            }
            catch (InvalidOperationException ex)
            {
                throw new InvalidOperationException($"The memory limit of {limit / (1024 * 1024)} MB is below what the plugin's process already uses: {ex.Message}", ex);
            }
        }
    }
}
