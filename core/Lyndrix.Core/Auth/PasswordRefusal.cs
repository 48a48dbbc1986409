namespace Lyndrix.Core.Auth;

/// <summary>Why <see cref="PasswordPolicy"/> refused a password: a stable machine <see cref="Code"/> (the problem details
/// <c>code</c> over HTTP) and a <see cref="Detail"/> that says what to do. Neither ever contains the password.</summary>
internal sealed record PasswordRefusal(string Code, string Detail);
