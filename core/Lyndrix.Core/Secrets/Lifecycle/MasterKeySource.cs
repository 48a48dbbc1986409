using System.Security.Cryptography;
using System.Text;
using Lyndrix.Core.Secrets.KeyFile;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets.Lifecycle;

/// <summary>
/// Where the lifecycle's master key comes from: <c>LYNDRIX_MASTER_KEY</c>; or, only with ENV_TYPE=dev and the embedded
/// backend, a key generated once into <c>SECURITY_DIR/master.key</c> so a bare <c>lyndrix run</c> works (like
/// <c>vault server -dev</c>). Outside dev nothing is ever generated. The key itself is never logged.
/// </summary>
internal sealed class MasterKeySource
{
    private MasterKeySource(string? key, MasterKeyOrigin origin, string? path)
    {
        Key = key;
        Origin = origin;
        Path = path;
    }

    public string? Key { get; }

    public MasterKeyOrigin Origin { get; }

    /// <summary>The development key file, when that is the origin.</summary>
    public string? Path { get; }

    public static MasterKeySource None { get; } = new(null, MasterKeyOrigin.None, null);

    public static MasterKeySource FromEnvironment(string key) => new(key, MasterKeyOrigin.Environment, null);

    public static async Task<MasterKeySource> ResolveAsync(SecretStoreSettings settings, bool embeddedBackend, ILogger logger, CancellationToken cancellationToken)
    {
        if (settings.MasterKey is { } configured)
        {
            return FromEnvironment(configured);
        }

        if (!settings.IsDev || !embeddedBackend)
        {
            return None;
        }

        var path = settings.DevMasterKeyPath;
        if (File.Exists(path))
        {
            var key = (await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken).ConfigureAwait(false)).Trim();
            logger.LogWarning(
                "DEVELOPMENT ONLY: using the generated master key in {Path} because ENV_TYPE=dev and LYNDRIX_MASTER_KEY is not set. " +
                "Anyone who can read that file can decrypt every secret. Never run like this outside development.", path);
            return new MasterKeySource(key, MasterKeyOrigin.DevelopmentFile, path);
        }

        if (File.Exists(settings.KeyFilePath))
        {
            // The store was initialized with a key we do not have; a new one would only fail to decrypt it.
            logger.LogWarning(
                "ENV_TYPE=dev, but {KeyFile} exists and {Path} does not: the store was initialized with another master key. " +
                "Set LYNDRIX_MASTER_KEY to that key.", settings.KeyFilePath, path);
            return None;
        }

        var generated = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await AtomicFileWriter.Default.WriteAsync(path, Encoding.UTF8.GetBytes(generated + "\n"), overwrite: false, cancellationToken).ConfigureAwait(false);
        logger.LogWarning(
            "\n!!! DEVELOPMENT ONLY !!!\nENV_TYPE=dev and LYNDRIX_MASTER_KEY is not set, so a master key was generated into {Path} " +
            "(owner-only). It protects {KeyFile} and thereby every secret of this embedded store. Anyone who can read it can decrypt " +
            "them all. Outside development set LYNDRIX_MASTER_KEY from a secret manager; no key is ever generated outside ENV_TYPE=dev.",
            path, settings.KeyFilePath);
        return new MasterKeySource(generated, MasterKeyOrigin.DevelopmentFile, path);
    }
}
