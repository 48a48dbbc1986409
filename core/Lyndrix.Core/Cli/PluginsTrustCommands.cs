using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Trust;

namespace Lyndrix.Core.Cli;

/// <summary><c>lyndrix plugins trust|untrust|sign|verify</c>: pins and signatures of plugin folders.</summary>
internal sealed partial class PluginsCommand
{
    private static string OnePath(string sub, List<string> rest) =>
        rest.Count == 1 ? rest[0] : throw new CliUsageException($"'plugins {sub}' takes one argument.");

    /// <summary>Reads a folder as the host would, refusing it when its manifest is unusable or it leads outside itself.</summary>
    private static async Task<PluginFolderDigest?> DigestAsync(CliContext context, string path)
    {
        var folder = Path.GetFullPath(path, context.WorkingDirectory);
        if (!Directory.Exists(folder))
        {
            await context.Error.WriteLineAsync($"{folder} is not a folder. Pass the plugin folder (the publish output).").ConfigureAwait(false);
            return null;
        }

        var descriptor = PluginManifestReader.Read(folder, PluginOrigin.PluginsDirectory);
        if (!descriptor.IsValid)
        {
            await context.Error.WriteLineAsync($"{folder} is not a usable plugin folder:\n  " + string.Join("\n  ", descriptor.Errors)).ConfigureAwait(false);
            return null;
        }

        return PluginFolderDigest.Compute(folder, descriptor.Manifest!.Id, descriptor.Manifest.Version);
    }

    private static async Task<int> TrustAsync(CliContext context, PluginsCommandClient api, string path, CancellationToken cancellationToken)
    {
        if (await DigestAsync(context, path).ConfigureAwait(false) is not { } digest)
        {
            return 1;
        }

        var body = JsonContent.Create(new { id = digest.Id, version = digest.Version, files = digest.Files });
        var (status, text, error) = await api.SendAsync(HttpMethod.Put, $"/api/plugin-trust/{Uri.EscapeDataString(digest.Id)}", body, cancellationToken).ConfigureAwait(false);
        if (await ReportFailureAsync(context, status, text, error).ConfigureAwait(false))
        {
            return 1;
        }

        await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Pinned {digest.Id} {digest.Version}: {digest.Files.Count} file(s), {digest.Files.Sum(f => f.Size)} bytes. The host loads this folder only while every file matches; " +
            $"'lyndrix plugins reload {digest.Id}' (or 'rescan' for a new folder) loads it now.")).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> UntrustAsync(CliContext context, PluginsCommandClient api, string id, CancellationToken cancellationToken)
    {
        var (status, text, error) = await api.SendAsync(HttpMethod.Delete, $"/api/plugin-trust/{Uri.EscapeDataString(id)}", null, cancellationToken).ConfigureAwait(false);
        if (await ReportFailureAsync(context, status, text, error).ConfigureAwait(false))
        {
            return 1;
        }

        using var doc = JsonDocument.Parse(text);
        var removed = doc.RootElement.GetProperty("removed").GetBoolean();
        await context.Out.WriteLineAsync(removed
            ? $"Removed the pin of {id}. With LYNDRIX_PLUGIN_TRUST=pinned its next load (enable, reload, restart) is refused."
            : $"{id} was not pinned; nothing changed.").ConfigureAwait(false);
        return removed ? 0 : 1;
    }

    private static async Task<int> SignAsync(CliContext context, string path, string keyFile)
    {
        if (await DigestAsync(context, path).ConfigureAwait(false) is not { } digest)
        {
            return 1;
        }

        ECDsa key;
        try
        {
            key = PluginSignature.LoadKey(Path.GetFullPath(keyFile, context.WorkingDirectory), requirePrivate: true);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            await context.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }

        using (key)
        {
            var signature = PluginSignature.Sign(digest, key);
            signature.WriteTo(Path.GetFullPath(path, context.WorkingDirectory));
            await context.Out.WriteLineAsync(
                $"Signed {digest.Id} {digest.Version} ({digest.Files.Count} file(s)) with key {signature.KeyId}: wrote {PluginSignature.FileName}. " +
                "Hosts accept it when LYNDRIX_PLUGIN_TRUSTED_KEYS lists the matching public key.").ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<int> VerifyAsync(CliContext context, PluginsCommandClient api, string path, CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(path, context.WorkingDirectory);
        var descriptor = PluginManifestReader.Read(folder, PluginOrigin.PluginsDirectory);
        if (!descriptor.IsValid)
        {
            await context.Error.WriteLineAsync($"Refused: {string.Join(" ", descriptor.Errors)}").ConfigureAwait(false);
            return 1;
        }

        var reader = new SettingsReader(context.Config, context.WorkingDirectory);
        var settings = PluginTrustSettings.Read(reader);
        reader.ThrowIfInvalid();
        IPluginTrustCatalog catalog = api.HasToken
            ? new HostPinCatalog(api)
            : new NoPins("no token was given (--token or LYNDRIX_TOKEN), so the running host's pins cannot be read");
        var verdict = await new PluginTrustVerifier(settings, catalog).VerifyAsync(descriptor, cancellationToken).ConfigureAwait(false);
        var m = descriptor.Manifest!;
        var mode = settings.Mode.ToString().ToLowerInvariant();
        if (verdict.Allowed)
        {
            await context.Out.WriteLineAsync($"{m.Id} {m.Version}: trusted ({verdict.Trust}) under LYNDRIX_PLUGIN_TRUST={mode}. The host would load it.").ConfigureAwait(false);
            return 0;
        }

        await context.Error.WriteLineAsync($"{m.Id} {m.Version}: refused under LYNDRIX_PLUGIN_TRUST={mode}. {verdict.Reason}").ConfigureAwait(false);
        return 1;
    }

    /// <summary>Reports that no host answered, or that it refused the session; true when the command should stop.</summary>
    private static async Task<bool> ReportNoAnswerAsync(CliContext context, int status, string? error)
    {
        var message = error ?? (status is 401 or 403 ? PluginsCommandClient.AuthHelp(status) : null);
        if (message is not null)
        {
            await context.Error.WriteLineAsync(message).ConfigureAwait(false);
        }

        return message is not null;
    }

    private static async Task<bool> ReportFailureAsync(CliContext context, int status, string text, string? error)
    {
        if (await ReportNoAnswerAsync(context, status, error).ConfigureAwait(false))
        {
            return true;
        }

        if (status is < 200 or > 299)
        {
            await context.Error.WriteLineAsync($"The host refused ({status}): {HostProblem.Detail(text, null)}").ConfigureAwait(false);
            return true;
        }

        return false;
    }

    /// <summary>Pins read from the running host (<c>GET /api/plugin-trust/{id}</c>).</summary>
    private sealed class HostPinCatalog(PluginsCommandClient api) : IPluginTrustCatalog
    {
        public async Task<PluginFolderDigest?> GetAsync(string id, CancellationToken cancellationToken)
        {
            var (status, text, error) = await api.SendAsync(HttpMethod.Get, $"/api/plugin-trust/{Uri.EscapeDataString(id)}", null, cancellationToken).ConfigureAwait(false);
            if (status == 404)
            {
                return null;
            }

            if (error is not null || status is < 200 or > 299)
            {
                throw new InvalidOperationException(error ?? (status is 401 or 403 ? PluginsCommandClient.AuthHelp(status) : $"the host answered {status}: {HostProblem.Detail(text, null)}"));
            }

            var pin = JsonSerializer.Deserialize<PluginTrustEndpoints.PinBody>(text)
                ?? throw new InvalidOperationException("the host answered with an empty pin");
            return new PluginFolderDigest(id, pin.Version, pin.Files);
        }

        public Task SetAsync(PluginFolderDigest digest, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> RemoveAsync(string id, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
