namespace Lyndrix.Sdk.Auth;

/// <summary>The start of a browser sign-in.</summary>
/// <param name="AuthorizationUrl">Where to redirect the browser.</param>
/// <param name="State">An unguessable value the callback must carry back; the host binds it to the browser.</param>
public sealed record SsoChallenge(Uri AuthorizationUrl, string State);
