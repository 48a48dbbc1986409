using System.Security.Cryptography;
using System.Text;

namespace Lyndrix.Core.Auth;

/// <summary>Bearer tokens: <c>lys_</c> + 32 random bytes (base64url). Only their SHA-256 is stored, so a copy of the
/// sessions table does not let anyone sign in.</summary>
internal static class SessionTokens
{
    public const string Prefix = "lys_";

    private static readonly System.Buffers.SearchValues<char> Base64UrlChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public static string New() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Cheap shape check before touching the store.</summary>
    public static bool LooksValid(string token) =>
        token.Length == Prefix.Length + 43 && token.StartsWith(Prefix, StringComparison.Ordinal) &&
        token.AsSpan(Prefix.Length).IndexOfAnyExcept(Base64UrlChars) < 0;

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
