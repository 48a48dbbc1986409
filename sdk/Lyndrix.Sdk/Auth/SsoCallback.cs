namespace Lyndrix.Sdk.Auth;

/// <summary>The parameters of the redirect back from an identity provider.</summary>
/// <param name="State">The <c>state</c> query parameter.</param>
/// <param name="Code">The <c>code</c> query parameter, absent when the provider reports an error.</param>
/// <param name="Error">The <c>error</c> query parameter.</param>
/// <param name="ErrorDescription">The <c>error_description</c> query parameter.</param>
public sealed record SsoCallback(string State, string? Code, string? Error, string? ErrorDescription);
