using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Lyndrix.Core.Data;
using Lyndrix.Core.Secrets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): after a successful password login (or password
/// change) the host sets an <c>HttpOnly</c>, <c>SameSite=Strict</c> cookie, sent only to the sign-in endpoints under
/// <c>/api/auth</c> (login, password change), that proves "this client signed in as this account, with its current password,
/// before". It is <c>version | nonce[16] | expiry (Unix seconds)[8] | HMAC-SHA256</c> (base64url), the HMAC binding it to the
/// account and to its credential stamp (<see cref="Stamp"/>: the account's id and password hash) under a 32-byte key kept in the
/// secret store (<c>core/auth</c>, field <c>login_device_key</c>), so a changed byte, another account's cookie, an expired one,
/// or one issued before the password last changed is simply not a device cookie. Each account has its own cookie name (a hash
/// of the name), so one browser can hold several. The nonce is the device's identity for <see cref="LoginThrottle"/>, which
/// counts a device's failures on their own.
/// </summary>
internal sealed partial class LoginDeviceCookies(AuthSettings settings, TimeProvider time, Func<IKeyValueStore?> store, ILogger<LoginDeviceCookies> logger)
{
    public const string KeyPath = "core/" + AuthSettings.ModuleId;
    public const string KeyField = "login_device_key";
    public const string CookiePath = "/api/auth";

    private const byte Version = 2;
    private const int NonceLength = 16;
    private const int MacLength = 32;
    private const int Length = 1 + NonceLength + 8 + MacLength;
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("lyndrix:login-device:v2\n");

    private readonly SemaphoreSlim _keyGate = new(1, 1);
    private byte[]? _key;

    public bool Enabled => settings.LoginDeviceLifetime > TimeSpan.Zero;

    /// <summary>The cookie's name for an account: <c>__Secure-</c> over HTTPS (browsers then accept it only with
    /// <c>Secure</c>).</summary>
    public static string CookieName(HttpRequest request, string userKey) =>
        (request.IsHttps ? "__Secure-" : "") + "lyndrix_device_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userKey)))[..16];

    /// <summary>What a device cookie is bound to besides the account's name: its id (an account deleted and created again is
    /// another account) and its password hash, which every password change replaces (so does a rehash with new parameters).
    /// Accounts without a local password (LDAP, OIDC) are bound to their id alone.</summary>
    public static byte[] Stamp(UserRecord account) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(account.Id + "\n" + (account.PasswordHash ?? "")));

    /// <summary>The id of the device this request proves for <paramref name="userKey"/>, or null when it presents no valid,
    /// unexpired device cookie of that account issued since its password last changed (or the secret store cannot give the key
    /// now). <paramref name="account"/> is read only when the request carries a cookie of the account's name.</summary>
    public async Task<string?> ReadAsync(HttpContext http, string userKey, Func<CancellationToken, Task<UserRecord?>> account,
        CancellationToken cancellationToken)
    {
        if (!Enabled || !http.Request.Cookies.TryGetValue(CookieName(http.Request, userKey), out var value) || string.IsNullOrEmpty(value))
        {
            return null;
        }

        // TryDecodeFromChars throws on characters outside the alphabet: the shape is checked first.
        var raw = new byte[Length];
        if (!Base64Url.IsValid(value, out var decodedLength) || decodedLength != Length ||
            !Base64Url.TryDecodeFromChars(value, raw, out _) || raw[0] != Version)
        {
            return null;
        }

        var key = await KeyAsync(cancellationToken).ConfigureAwait(false);
        if (key is null || await account(cancellationToken).ConfigureAwait(false) is not { } current ||
            !CryptographicOperations.FixedTimeEquals(Mac(key, userKey, Stamp(current), raw.AsSpan(0, Length - MacLength)), raw.AsSpan(Length - MacLength)))
        {
            return null;
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(raw.AsSpan(1 + NonceLength, 8)));
        return expires > time.GetUtcNow() ? Base64Url.EncodeToString(raw.AsSpan(1, NonceLength)) : null;
    }

    /// <summary>Sets a fresh device cookie for <paramref name="userKey"/>, bound to <paramref name="account"/> as it is now
    /// (every successful password login and password change gets one, valid for <see cref="AuthSettings.LoginDeviceLifetime"/>).
    /// Without the key (the secret store does not answer) the sign-in goes on without one.</summary>
    public async Task IssueAsync(HttpContext http, string userKey, UserRecord account, CancellationToken cancellationToken)
    {
        if (!Enabled || await KeyAsync(cancellationToken).ConfigureAwait(false) is not { } key)
        {
            return;
        }

        var expires = time.GetUtcNow() + settings.LoginDeviceLifetime;
        var raw = new byte[Length];
        raw[0] = Version;
        RandomNumberGenerator.Fill(raw.AsSpan(1, NonceLength));
        BinaryPrimitives.WriteInt64BigEndian(raw.AsSpan(1 + NonceLength, 8), expires.ToUnixTimeSeconds());
        Mac(key, userKey, Stamp(account), raw.AsSpan(0, Length - MacLength)).CopyTo(raw.AsSpan(Length - MacLength));
        http.Response.Cookies.Append(CookieName(http.Request, userKey), Base64Url.EncodeToString(raw), new CookieOptions
        {
            HttpOnly = true,
            Secure = http.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = CookiePath,
            MaxAge = settings.LoginDeviceLifetime,
            IsEssential = true,
        });
    }

    private static byte[] Mac(byte[] key, string userKey, byte[] stamp, ReadOnlySpan<byte> payload)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Label);
        hmac.AppendData(Encoding.UTF8.GetBytes(userKey));
        hmac.AppendData("\n"u8);
        hmac.AppendData(stamp);
        hmac.AppendData(payload);
        return hmac.GetHashAndReset();
    }

    private async Task<byte[]?> KeyAsync(CancellationToken cancellationToken)
    {
        if (_key is { } known)
        {
            return known;
        }

        await _keyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_key is null)
            {
                // No secret store in this process (a host without one cannot sign anyone in anyway): a key for this process only.
                _key = store() is { } kv
                    ? await SecretStoreKeys.GetOrCreateAsync(kv, KeyPath, KeyField, cancellationToken).ConfigureAwait(false)
                    : RandomNumberGenerator.GetBytes(32);
            }

            return _key;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNoKey(logger, ex.GetType().Name);
            return null;
        }
        finally
        {
            _keyGate.Release();
        }
    }

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning,
        Message = "The login device key could not be read from the secret store ({Error}); logins go on without device cookies until it can")]
    private static partial void LogNoKey(ILogger logger, string error);
}
