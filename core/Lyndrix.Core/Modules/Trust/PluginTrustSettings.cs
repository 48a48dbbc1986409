using System.Security.Cryptography;
using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Modules.Trust;

/// <summary><c>LYNDRIX_PLUGIN_TRUST</c> (<c>any</c> in dev, <c>pinned</c> otherwise) and <c>LYNDRIX_PLUGIN_TRUSTED_KEYS</c>
/// (comma-separated PEM files of ECDSA P-256 public keys).</summary>
internal sealed record PluginTrustSettings
{
    public required PluginTrustMode Mode { get; init; }

    public required IReadOnlyList<ECDsa> TrustedKeys { get; init; }

    public static PluginTrustSettings Any { get; } = new() { Mode = PluginTrustMode.Any, TrustedKeys = [] };

    public static PluginTrustSettings Read(SettingsReader r)
    {
        var isDev = HostSettings.IsDevEnvType(HostSettings.ReadEnvType(r));
        var raw = r.String("LYNDRIX_PLUGIN_TRUST", isDev ? "any" : "pinned").Trim().ToLowerInvariant();
        var mode = PluginTrustMode.Pinned;
        switch (raw)
        {
            case "any":
                mode = PluginTrustMode.Any;
                break;
            case "pinned":
                mode = PluginTrustMode.Pinned;
                break;
            case "signed":
                mode = PluginTrustMode.Signed;
                break;
            default:
                r.Problem("LYNDRIX_PLUGIN_TRUST", $"must be any, pinned or signed (got '{raw}')");
                break;
        }

        var keys = new List<ECDsa>();
        foreach (var file in (r.String("LYNDRIX_PLUGIN_TRUSTED_KEYS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                keys.Add(PluginSignature.LoadKey(Path.GetFullPath(file, r.BaseDirectory), requirePrivate: false));
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                r.Problem("LYNDRIX_PLUGIN_TRUSTED_KEYS", $"names {file}, which cannot be used: {ex.Message}");
            }
        }

        if (mode == PluginTrustMode.Signed && keys.Count == 0)
        {
            r.Problem("LYNDRIX_PLUGIN_TRUST", "is 'signed', but LYNDRIX_PLUGIN_TRUSTED_KEYS names no public key; list the PEM files of the keys whose signatures you accept");
        }

        return new PluginTrustSettings { Mode = mode, TrustedKeys = keys };
    }
}
