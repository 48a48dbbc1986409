namespace Lyndrix.Core.Backup;

/// <summary>What a restore did.</summary>
/// <param name="SafetyCopy">The archive of the target's previous state, when it held data.</param>
internal sealed record RestoreReport(long Rows, int SecretsWritten, int SecretsDeleted, string? SafetyCopy, IReadOnlyList<string> MissingPlugins);
