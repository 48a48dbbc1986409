using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Lyndrix.Plugins.Oidc;

/// <summary>Picks the token endpoint's client authentication and applies it to the code exchange.</summary>
internal static class OidcClientAuthentication
{
    public const string Basic = "client_secret_basic";
    public const string Post = "client_secret_post";
    public const string None = "none";

    /// <summary>The method named by <c>LYNDRIX_OIDC_CLIENT_AUTH</c>, or null for an unknown name.</summary>
    public static OidcClientAuthMethod? Parse(string name) => name switch
    {
        Basic => OidcClientAuthMethod.ClientSecretBasic,
        Post => OidcClientAuthMethod.ClientSecretPost,
        None => OidcClientAuthMethod.None,
        _ => null,
    };

    public static string Name(OidcClientAuthMethod method) => method switch
    {
        OidcClientAuthMethod.ClientSecretBasic => Basic,
        OidcClientAuthMethod.ClientSecretPost => Post,
        _ => None,
    };

    /// <summary>
    /// The configured method, else: no secret → <c>none</c>; otherwise <c>client_secret_basic</c> when the provider lists it
    /// in <c>token_endpoint_auth_methods_supported</c> or lists nothing (Discovery §3: the default), else
    /// <c>client_secret_post</c> when listed.
    /// </summary>
    public static OidcClientAuthMethod Choose(OidcSettings settings, ICollection<string> supported)
    {
        if (settings.ClientAuth is { } configured)
        {
            return configured;
        }

        if (settings.ClientSecret is null)
        {
            return OidcClientAuthMethod.None;
        }

        if (supported.Count == 0 || supported.Contains(Basic))
        {
            return OidcClientAuthMethod.ClientSecretBasic;
        }

        if (supported.Contains(Post))
        {
            return OidcClientAuthMethod.ClientSecretPost;
        }

        throw new InvalidOperationException(
            $"The OIDC provider accepts only {string.Join(", ", supported)} at its token endpoint; Lyndrix supports {Basic} and {Post}. " +
            "Allow one of them for this client at the provider, or set LYNDRIX_OIDC_CLIENT_AUTH if the provider's list is incomplete.");
    }

    /// <summary>Adds the client's credentials to the token request: a Basic header or form fields.</summary>
    public static void Apply(OidcClientAuthMethod method, OidcSettings settings, HttpRequestMessage request, IDictionary<string, string> form)
    {
        switch (method)
        {
            case OidcClientAuthMethod.ClientSecretBasic:
                // RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined with ':' and base64-encoded.
                var pair = WebUtility.UrlEncode(settings.ClientId!) + ":" + WebUtility.UrlEncode(settings.ClientSecret ?? "");
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
                break;
            case OidcClientAuthMethod.ClientSecretPost:
                form["client_id"] = settings.ClientId!;
                form["client_secret"] = settings.ClientSecret ?? "";
                break;
            default:
                form["client_id"] = settings.ClientId!;
                break;
        }
    }
}
