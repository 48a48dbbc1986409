namespace Lyndrix.VaultDouble;

/// <summary>The logical operation of a request, as Vault's request layer names it. <c>PUT</c>/<c>POST</c> arrive as
/// <see cref="Update"/> and become <see cref="Create"/> when the backend's existence check says the target is missing.</summary>
public enum VaultOperation
{
    Read,
    List,
    Create,
    Update,
    Patch,
    Delete,
}
