using Microsoft.AspNetCore.Http;

namespace Lyndrix.Core.Auth;

/// <summary>
/// One password check admitted by <see cref="SignInGate"/> (or refused by it: <see cref="Refusal"/>). It holds the account's
/// turn and the hashing slot until disposed, and records the outcome: a known device's failures and successes stay with that
/// device; anyone else's count against the account (on every host) and the client.
/// </summary>
internal sealed class SignInAttempt : IDisposable
{
    private readonly IDisposable[] _leases;
    private readonly Func<Task>? _failed;
    private readonly Func<CancellationToken, Task>? _succeeded;

    public SignInAttempt(string client, string? device, IDisposable[] leases, Func<Task> failed, Func<CancellationToken, Task> succeeded)
    {
        Client = client;
        Device = device;
        _leases = leases;
        _failed = failed;
        _succeeded = succeeded;
    }

    private SignInAttempt(string client, IResult refusal, TimeSpan? throttledFor)
    {
        Client = client;
        Refusal = refusal;
        ThrottledFor = throttledFor;
        _leases = [];
    }

    /// <summary>The throttling key of the client (<see cref="Hosting.Http.ClientKey"/>).</summary>
    public string Client { get; }

    /// <summary>The known device the attempt comes from (a valid device cookie of the account), or null.</summary>
    public string? Device { get; }

    /// <summary>When set, the answer to send instead of checking the password (429 or 503, with <c>Retry-After</c>).</summary>
    public IResult? Refusal { get; }

    /// <summary>Set when the refusal is the account's or client's failure limit (not a full queue): how long it holds.</summary>
    public TimeSpan? ThrottledFor { get; }

    public static SignInAttempt Refused(string client, IResult refusal, TimeSpan? throttledFor) => new(client, refusal, throttledFor);

    /// <summary>Hashes started until the scope is disposed run first when the attempt comes from a known device.</summary>
    public IDisposable? Prioritize() => Device is null ? null : PasswordHashingPool.Prioritize();

    /// <summary>The password was wrong. Recorded even when the client has hung up.</summary>
    public Task FailedAsync() => (_failed ?? throw new InvalidOperationException("A refused attempt has no outcome."))();

    public Task SucceededAsync(CancellationToken cancellationToken) =>
        (_succeeded ?? throw new InvalidOperationException("A refused attempt has no outcome."))(cancellationToken);

    public void Dispose()
    {
        foreach (var lease in _leases)
        {
            lease.Dispose();
        }
    }
}
