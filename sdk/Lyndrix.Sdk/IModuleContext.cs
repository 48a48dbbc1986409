using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Sdk;

/// <summary>
/// A module's handle to the host. Every operation is confined to the module's manifest:
/// secrets to its own path, events to the topics it declares.
/// </summary>
public interface IModuleContext
{
    /// <summary>The validated manifest the module was loaded with.</summary>
    ModuleManifest Manifest { get; }

    /// <summary>A logger whose category is the module id.</summary>
    ILogger Logger { get; }

    /// <summary>Cancelled when the module is disabled or unloaded, or the host stops.</summary>
    CancellationToken Stopping { get; }

    /// <summary>The module's settings: <c>settings_schema</c> defaults overridden by stored values.</summary>
    IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>Reads field <paramref name="key"/> of the module's own secret.</summary>
    /// <param name="key">Letters, digits, <c>_</c>, <c>-</c> and <c>.</c>; at most 128 characters.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The value, or <see langword="null"/> when no such field is stored.</returns>
    /// <exception cref="SecretStoreUnavailableException">The store is sealed, unreachable or refused the request.</exception>
    Task<string?> GetSecretAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Writes field <paramref name="key"/> of the module's own secret; other fields are kept.</summary>
    /// <param name="key">Letters, digits, <c>_</c>, <c>-</c> and <c>.</c>; at most 128 characters.</param>
    /// <param name="value">The value to store.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the value is stored.</returns>
    /// <exception cref="SecretStoreUnavailableException">The store is sealed, unreachable or refused the request.</exception>
    Task SetSecretAsync(string key, string value, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes field <paramref name="key"/> of the module's own secret atomically: <paramref name="update"/> gets the stored
    /// value (<see langword="null"/> when missing) and returns the new one (<see langword="null"/> removes the field); the
    /// write happens only if nobody wrote the secret in between, otherwise the host reads again and calls
    /// <paramref name="update"/> again. Concurrent read-modify-write (a counter, a list) loses nothing this way, whereas
    /// <see cref="SetSecretAsync"/> is last-writer-wins per field. Keep <paramref name="update"/> free of side effects: it
    /// may run more than once.
    /// </summary>
    /// <param name="key">Letters, digits, <c>_</c>, <c>-</c> and <c>.</c>; at most 128 characters.</param>
    /// <param name="update">From the current value to the new one; runs in the module, possibly several times.</param>
    /// <param name="cancellationToken">Cancels the update (nothing is written once it is cancelled).</param>
    /// <returns>The value written (<see langword="null"/> when the field was removed).</returns>
    /// <exception cref="SecretStoreUnavailableException">The store is sealed, unreachable, refused the request, or the secret
    /// kept changing under every retry (nothing was written).</exception>
    /// <exception cref="NotSupportedException">This implementation of the interface predates the method (plugin API 1.1): the
    /// default body, so that test doubles written against 1.0 keep compiling.</exception>
    Task<string?> UpdateSecretAsync(string key, Func<string?, string?> update, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not implement UpdateSecretAsync (added in plugin API 1.1).");

    /// <summary>Subscribes to a topic declared in <c>permissions.subscribe</c>. Events arrive in emit order on a
    /// queue of the subscriber's own, so a slow handler delays only itself. Readiness topics replay their
    /// latest event to late subscribers.</summary>
    /// <param name="topic">The topic, <c>domain:event</c>.</param>
    /// <param name="handler">The handler; it receives <see cref="Stopping"/>-linked cancellation.</param>
    /// <returns>A handle whose disposal removes the subscription.</returns>
    /// <exception cref="ModulePermissionDeniedException">The manifest does not declare the topic.</exception>
    IDisposable Subscribe(string topic, Func<LyndrixEvent, CancellationToken, Task> handler);

    /// <summary>Emits an event on a topic declared in <c>permissions.emit</c>.</summary>
    /// <param name="topic">The topic, <c>domain:event</c>.</param>
    /// <param name="payload">An immutable payload; <see langword="null"/> means empty.</param>
    /// <exception cref="ModulePermissionDeniedException">The manifest does not declare the topic.</exception>
    void Emit(string topic, EventPayload? payload = null);

    /// <summary>Runs background work that the host tracks: failures are logged with the module id, and the
    /// token is cancelled when the module is disabled or the host stops.</summary>
    /// <param name="name">A name for logs.</param>
    /// <param name="work">The work.</param>
    /// <returns>The running task.</returns>
    Task CreateTask(string name, Func<CancellationToken, Task> work);

    /// <summary>Registers an authentication provider. It takes part in logins only when its id is listed in
    /// <c>LYNDRIX_AUTH_PROVIDERS</c>; built-in ids and other modules' ids are refused.</summary>
    /// <param name="provider">The provider.</param>
    /// <exception cref="ModulePermissionDeniedException">The id is reserved or owned by another module.</exception>
    void RegisterAuthProvider(IAuthProvider provider);
}
