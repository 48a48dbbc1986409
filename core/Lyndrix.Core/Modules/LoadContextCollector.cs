namespace Lyndrix.Core.Modules;

/// <summary>Confirms that an unloaded load context was really collected: unloading is cooperative, and any stray
/// reference keeps it alive, so the host checks instead of assuming.</summary>
internal static class LoadContextCollector
{
    /// <returns>Whether the context was collected, and after how many collection passes.</returns>
    public static async Task<(bool Collected, int Passes)> WaitAsync(WeakReference context, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        for (var pass = 1; ; pass++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            if (!context.IsAlive)
            {
                return (true, pass);
            }

            if (Environment.TickCount64 >= deadline)
            {
                return (false, pass);
            }

            // Finalizers of the context's objects and the unload itself run on other threads; give them time. The first retry
            // is nearly immediate: usually only a just-finished thread-pool item still held the last reference.
            await Task.Delay(pass == 1 ? 1 : Math.Min(10 * pass, 200), cancellationToken).ConfigureAwait(false);
        }
    }
}
