using Lyndrix.Sdk.Auth;

namespace Lyndrix.Core.Auth;

/// <summary>The outcome of a password login through the chain.</summary>
/// <param name="Identity">The identity of the first provider that accepted the credentials, or null.</param>
/// <param name="Tried">The provider ids asked, in order.</param>
/// <param name="Failed">The provider ids that threw or timed out (their errors are in the log).</param>
internal sealed record AuthChainResult(AuthResult? Identity, IReadOnlyList<string> Tried, IReadOnlyList<string> Failed);
