using System.Security.Cryptography;
using System.Text;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Lifecycle;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets.Http;

/// <summary>
/// The first-run setup token (like Jenkins' initial admin password): outside development, while the store is uninitialized
/// and no master key is configured, <c>POST /api/vault/init</c> must carry the token the host wrote owner-only to
/// <c>SECURITY_DIR/setup.token</c>, so only someone who can read the host's files chooses its master key. The host logs the
/// file's path (never the token); <c>lyndrix vault init</c> reads it itself. The file is removed when the store opens.
/// </summary>
internal sealed partial class SetupToken(SecretStoreSettings settings, EventBus bus, SecretLifecycle lifecycle, ILogger<SetupToken> logger) : IHostedService
{
    public const string FileName = "setup.token";

    private readonly List<IDisposable> _subscriptions = [];
    private volatile bool _required;

    public string Path => System.IO.Path.Combine(settings.SecurityDir, FileName);

    /// <summary>True while an init must present the token.</summary>
    public bool IsRequired => _required;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscriptions.Add(bus.Subscribe(CoreTopics.VaultNeedsInit, SecretLifecycle.Origin, _ => Issue()));
        _subscriptions.Add(bus.Subscribe(CoreTopics.VaultOpened, SecretLifecycle.Origin, _ => Retire()));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        return Task.CompletedTask;
    }

    /// <summary>Whether <paramref name="presented"/> is the token (compared in fixed time).</summary>
    public bool Matches(string? presented)
    {
        if (string.IsNullOrEmpty(presented) || Read() is not { } expected)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented.Trim()), Encoding.UTF8.GetBytes(expected));
    }

    /// <summary>The token in <paramref name="securityDir"/>, for the CLI; null when there is none or it cannot be read.</summary>
    public static string? ReadFrom(string securityDir)
    {
        try
        {
            var path = System.IO.Path.Combine(securityDir, FileName);
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string? Read() => ReadFrom(settings.SecurityDir);

    private void Issue()
    {
        if (settings.IsDev || lifecycle.MasterKeyOrigin != MasterKeyOrigin.None)
        {
            return;
        }

        try
        {
            if (Read() is null)
            {
                AtomicFileWriter.EnsureDirectory(settings.SecurityDir);
                var token = "lyst_" + SessionTokens.Base64Url(RandomNumberGenerator.GetBytes(32));
                // Owner-only from the first byte: created with mode 0600, never widened.
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var stream = new FileStream(Path, options);
                stream.Write(Encoding.UTF8.GetBytes(token + "\n"));
                stream.Flush(flushToDisk: true);
            }

            _required = true;
            LogIssued(logger, Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Without the file nobody could init through the API; say so and keep it closed rather than open.
            _required = true;
            LogNotWritten(logger, Path, ex.Message);
        }
    }

    private void Retire()
    {
        _required = false;
        try
        {
            File.Delete(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogNotRemoved(logger, Path, ex.Message);
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning,
        Message = "The secret store is not initialized and no master key is set: initializing it needs the one-time setup token in {Path} " +
                  "('lyndrix vault init' on this machine reads it; it is removed once the store is open)")]
    private static partial void LogIssued(ILogger logger, string path);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Could not write the setup token to {Path} ({Reason}); init through the API stays closed until it can")]
    private static partial void LogNotWritten(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Could not remove the used setup token {Path} ({Reason}); delete it by hand")]
    private static partial void LogNotRemoved(ILogger logger, string path, string reason);
}
