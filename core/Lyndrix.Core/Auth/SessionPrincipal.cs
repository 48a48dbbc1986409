using Lyndrix.Core.Data;

namespace Lyndrix.Core.Auth;

/// <summary>A valid session and the user it belongs to.</summary>
internal sealed record SessionPrincipal(SessionRecord Session, UserRecord User);
