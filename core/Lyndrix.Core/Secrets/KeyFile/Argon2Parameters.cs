using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Secrets.KeyFile;

/// <summary>
/// Argon2id cost parameters of <c>vault_keys.enc</c>. They are not stored in the file (the original's format has no header),
/// so changing them makes existing files undecryptable: keep them equal to the values the file was written with.
/// </summary>
internal sealed record Argon2Parameters(int TimeCost, int MemoryKib, int Parallelism)
{
    public static Argon2Parameters Default { get; } = new(3, 65536, 4);

    public static Argon2Parameters Read(SettingsReader r)
    {
        var time = r.Int("LYNDRIX_ARGON_TIME", Default.TimeCost, 1, 1000);
        var parallel = r.Int("LYNDRIX_ARGON_PARALLEL", Default.Parallelism, 1, 255);
        var memory = r.Int("LYNDRIX_ARGON_MEM", Default.MemoryKib, 8, 4 * 1024 * 1024);
        if (memory < 8 * parallel)
        {
            r.Problem("LYNDRIX_ARGON_MEM", $"must be at least 8 x LYNDRIX_ARGON_PARALLEL = {8 * parallel} KiB (got {memory})");
            memory = Math.Max(Default.MemoryKib, 8 * parallel);
        }

        return new Argon2Parameters(time, memory, parallel);
    }

    public override string ToString() => $"Argon2id(t={TimeCost}, m={MemoryKib} KiB, p={Parallelism})";
}
