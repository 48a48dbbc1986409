namespace Lyndrix.Core.Modules.Trust;

/// <summary>
/// Decides, before any code of a plugin folder loads, whether the operator trusts it: first-party modules by location,
/// folders in <c>PLUGINS_DIR</c> by <c>LYNDRIX_PLUGIN_TRUST</c> (any, a pin in the catalog, or a signature from a trusted
/// key). The host runs it on every load, enable, reload and rescan; <c>lyndrix plugins verify</c> runs the same code.
/// </summary>
internal sealed class PluginTrustVerifier(PluginTrustSettings settings, IPluginTrustCatalog catalog)
{
    public PluginTrustMode Mode => settings.Mode;

    public async Task<TrustVerdict> VerifyAsync(PluginDescriptor descriptor, CancellationToken cancellationToken)
    {
        if (descriptor.Origin == PluginOrigin.BuiltIn)
        {
            return TrustVerdict.Allow("builtin");
        }

        if (settings.Mode == PluginTrustMode.Any)
        {
            return TrustVerdict.Allow("any");
        }

        var manifest = descriptor.Manifest ?? throw new InvalidOperationException("Only folders with a valid manifest are verified.");
        var folder = descriptor.Folder;
        if (PluginFolderIntegrity.Check(folder) is { } escape)
        {
            return TrustVerdict.Refuse(escape);
        }

        var digest = PluginFolderDigest.Compute(folder, manifest.Id, manifest.Version);
        PluginFolderDigest? pin = null;
        string? catalogProblem = null;
        try
        {
            pin = await catalog.GetAsync(manifest.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            catalogProblem = $"The trust catalog could not be read ({ex.Message}), so '{manifest.Id}' cannot be checked against its pin";
        }

        if (catalogProblem is not null && settings.Mode == PluginTrustMode.Pinned)
        {
            return TrustVerdict.Refuse(catalogProblem + "; it stays unloaded until the catalog answers.");
        }

        var pinProblem = pin is null ? null : digest.DifferenceFrom(pin);
        if (pin is not null && pinProblem is null)
        {
            return TrustVerdict.Allow("pinned");
        }

        var retrust = $"If the change is intended, review the folder and run 'lyndrix plugins trust {folder}' again.";
        if (settings.Mode == PluginTrustMode.Pinned)
        {
            return TrustVerdict.Refuse(pin is null
                ? $"'{manifest.Id}' {manifest.Version} is not pinned and LYNDRIX_PLUGIN_TRUST is 'pinned': no code from {folder} loads until an administrator reviews it and runs 'lyndrix plugins trust {folder}'."
                : $"'{manifest.Id}' does not match its pin: {pinProblem}. {retrust}");
        }

        return VerifySignature(folder, digest, pinProblem);
    }

    private TrustVerdict VerifySignature(string folder, PluginFolderDigest digest, string? pinProblem)
    {
        var pinNote = pinProblem is null ? "" : $" (its pin does not match either: {pinProblem})";
        PluginSignature? signature;
        try
        {
            signature = PluginSignature.ReadFrom(folder);
        }
        catch (InvalidDataException ex)
        {
            return TrustVerdict.Refuse($"'{digest.Id}' carries an unusable {PluginSignature.FileName}: {ex.Message}{pinNote}");
        }

        if (signature is null)
        {
            return TrustVerdict.Refuse($"'{digest.Id}' is not signed (no {PluginSignature.FileName} in {folder}) and LYNDRIX_PLUGIN_TRUST is 'signed'{pinNote}. " +
                                       "Sign it with 'lyndrix plugins sign FOLDER --key KEY.pem', or pin it with 'lyndrix plugins trust FOLDER'.");
        }

        var key = settings.TrustedKeys.FirstOrDefault(k => PluginSignature.KeyIdOf(k) == signature.KeyId);
        if (key is null)
        {
            return TrustVerdict.Refuse($"'{digest.Id}' is signed by key {signature.KeyId}, which is not among LYNDRIX_PLUGIN_TRUSTED_KEYS{pinNote}.");
        }

        return signature.Verifies(digest, key)
            ? TrustVerdict.Allow("signed:" + signature.KeyId)
            : TrustVerdict.Refuse($"The signature of '{digest.Id}' by key {signature.KeyId} does not match the folder: a file was changed, added or removed after signing, or the id/version differ{pinNote}.");
    }
}
