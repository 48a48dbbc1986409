using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets.Scopes;

/// <summary>
/// One module's secrets: fields of the KV v2 secret at <see cref="Path"/>. A read failure is an exception, never "missing";
/// a write is read-modify-write with check-and-set, so a concurrent writer's field is never lost and a failed read never
/// turns into a write (the original wrote the single key over everything after a failed read).
/// </summary>
internal sealed class ModuleSecretScope : IModuleSecretScope
{
    private readonly Func<IKeyValueStore> _store;
    private readonly SemaphoreSlim _pathLock;
    private readonly int _casAttempts;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="pathLock">Shared by every scope of the same path: writers inside this process queue instead of racing,
    /// so check-and-set conflicts only come from other processes.</param>
    public ModuleSecretScope(string path, string moduleId, Func<IKeyValueStore> store, SemaphoreSlim pathLock, int casAttempts, TimeProvider time, ILogger logger)
    {
        Path = path;
        ModuleId = moduleId;
        _store = store;
        _pathLock = pathLock;
        _casAttempts = casAttempts;
        _time = time;
        _logger = logger;
    }

    public string Path { get; }

    public string ModuleId { get; }

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        EnsureKey(key);
        // ReadAsync's work inline: this is the hot path, and one async method less is measurably cheaper.
        KvReadResult result;
        try
        {
            result = await _store().ReadAsync(Path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsReadFailure(ex, cancellationToken))
        {
            throw Unavailable(ex, "read");
        }

        return result.State == KvReadState.Found && result.Data!.TryGetValue(key, out var value) ? value : null;
    }

    public async Task SetAsync(string key, string value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        await UpdateAsync(key, (_, _) => Task.FromResult<string?>(value), cancellationToken).ConfigureAwait(false);
    }

    public async Task<string?> UpdateAsync(string key, Func<string?, CancellationToken, Task<string?>> update, CancellationToken cancellationToken)
    {
        EnsureKey(key);
        ArgumentNullException.ThrowIfNull(update);
        await _pathLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                // A failed read throws here: nothing is written.
                var current = await ReadAsync(cancellationToken).ConfigureAwait(false);
                var data = current.State == KvReadState.Found
                    ? new Dictionary<string, string>(current.Data!, StringComparer.Ordinal)
                    : new Dictionary<string, string>(StringComparer.Ordinal);
                var value = await update(data.GetValueOrDefault(key), cancellationToken).ConfigureAwait(false);
                if (value is null)
                {
                    data.Remove(key);
                }
                else
                {
                    data[key] = value;
                }

                // Deleted and destroyed secrets keep their version number in KV v2; a never-written one is 0 (create only).
                var cas = current.State == KvReadState.NotFound ? 0 : current.Version;
                try
                {
                    await Call(store => store.WriteAsync(Path, data, cas, cancellationToken), "write", cancellationToken).ConfigureAwait(false);
                    return value;
                }
                catch (KvCasMismatchException) when (attempt < _casAttempts)
                {
                    _logger.LogDebug("Secret {Path}: another writer got in first (attempt {Attempt}); re-reading", Path, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)), _time, cancellationToken).ConfigureAwait(false);
                }
                catch (KvCasMismatchException ex)
                {
                    throw new SecretStoreUnavailableException(
                        $"Secret '{key}' of module {ModuleId} was not saved: {Path} kept changing under {_casAttempts} attempts by other writers. " +
                        "Nothing was lost; try again.", ex);
                }
            }
        }
        finally
        {
            _pathLock.Release();
        }
    }

    // Not through Call: reads are the hot path, so no closure and one state machine less; the same exceptions are translated.
    private async Task<KvReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _store().ReadAsync(Path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsReadFailure(ex, cancellationToken))
        {
            throw Unavailable(ex, "read");
        }
    }

    /// <summary>Which exceptions of a read mean "the store cannot be read now"; the caller's own cancellation passes through.</summary>
    private static bool IsReadFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is not KvCasMismatchException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private async Task<T> Call<T>(Func<IKeyValueStore, Task<T>> operation, string verb, CancellationToken cancellationToken)
    {
        try
        {
            return await operation(_store()).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (KvCasMismatchException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw Unavailable(ex, verb);
        }
    }

    private SecretStoreUnavailableException Unavailable(Exception ex, string verb)
    {
        var why = ex switch
        {
            SecretBackendSealedException => "the secret store is sealed; it needs an unseal with the master key",
            SecretBackendUnreachableException => "the secret store cannot be reached; the host retries and restores access on its own",
            SecretBackendAuthException => "the secret store refused the host's token; see vault:auth_failed in the log",
            OperationCanceledException => "the secret store did not answer in time",
            _ => "the secret store failed",
        };

        // The inner exception's message comes from our own backends and names paths, never values.
        return new SecretStoreUnavailableException($"Secrets of module {ModuleId} cannot be {(verb == "read" ? "read" : "written")} now: {why}. ({ex.Message})", ex);
    }

    private void EnsureKey(string key)
    {
        if (SecretNameRules.CheckKey(key) is { } problem)
        {
            throw new ArgumentException(problem + $" (module {ModuleId})", nameof(key));
        }
    }
}
