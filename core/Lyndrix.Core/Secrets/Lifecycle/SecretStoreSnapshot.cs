namespace Lyndrix.Core.Secrets.Lifecycle;

/// <summary>What the lifecycle knows, without asking the backend.</summary>
internal sealed record SecretStoreSnapshot(string UiState, bool Connected, SecretStoreFailure? LastFailure, string? MaintenanceReason)
{
    public static SecretStoreSnapshot Initial { get; } = new(SecretStoreUiState.Loading, false, null, null);
}
