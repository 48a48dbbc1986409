namespace Lyndrix.Core.Secrets.Lifecycle;

/// <summary>The original's <c>ui_state</c> values, reported by <c>GET /api/vault/status</c>.</summary>
internal static class SecretStoreUiState
{
    public const string Loading = "loading";
    public const string NeedsInit = "needs_init";
    public const string NeedsUnseal = "needs_unseal";
    public const string Ready = "ready";
    public const string Error = "error";
}
