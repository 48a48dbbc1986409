using System.Globalization;
using Lyndrix.Core.Data;
using Lyndrix.Core.Hosting.Http;
using Microsoft.AspNetCore.Http;

namespace Lyndrix.Core.Auth;

/// <summary>
/// The one way into a password check of an account, for the login and the password change alike: a valid device cookie of the
/// account (<see cref="LoginDeviceCookies"/>) chooses the known-device lane; then the account's turn (its attempts queue), a
/// hashing slot (refused at once when the host is saturated), and, outside the known-device lane, this host's limits and the
/// account's failures on every host (<see cref="ClusterLoginFailures"/>). The <see cref="SignInAttempt"/> it hands out records
/// the outcome where it belongs.
/// </summary>
internal sealed class SignInGate(LoginThrottle throttle, ClusterLoginFailures clusterFailures, LoginAdmission admission,
    LoginDeviceCookies devices, TimeProvider time)
{
    /// <param name="account">The account as stored, read only when the request carries a device cookie of its name.</param>
    /// <returns>An attempt to dispose when the check is over; when its <see cref="SignInAttempt.Refusal"/> is set, that is the
    /// answer and no password may be checked.</returns>
    public async Task<SignInAttempt> EnterAsync(HttpContext http, string userKey, Func<CancellationToken, Task<UserRecord?>> account,
        CancellationToken cancellationToken)
    {
        var client = ClientKey.For(http);
        // A device that has used up its own failures is an unknown client again.
        var device = await devices.ReadAsync(http, userKey, account, cancellationToken).ConfigureAwait(false);
        if (device is not null && !throttle.IsDeviceAllowed(device))
        {
            device = null;
        }

        var turn = await throttle.WaitTurnAsync(device is null ? userKey : LoginThrottle.DeviceTurn(userKey), cancellationToken).ConfigureAwait(false);
        if (turn is null)
        {
            return SignInAttempt.Refused(client, TooManyAttempts(http, TimeSpan.FromSeconds(1)), null);
        }

        var admitted = admission.TryEnter(device is not null, out var busyFor);
        if (admitted is null)
        {
            turn.Dispose();
            return SignInAttempt.Refused(client, await BusyAsync(http, busyFor, cancellationToken).ConfigureAwait(false), null);
        }

        // A known device skips the account and client limits (its own failures count against it alone). Others meet this host's
        // limits first (no database round trip), then the account's failures on every host.
        TimeSpan? retryAfter;
        try
        {
            retryAfter = device is not null ? null
                : !throttle.IsAllowed(userKey, client, out var hostWait) ? hostWait
                : await clusterFailures.RetryAfterAsync(userKey, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            admitted.Dispose();
            turn.Dispose();
            throw;
        }

        if (retryAfter is { } wait)
        {
            admitted.Dispose();
            turn.Dispose();
            return SignInAttempt.Refused(client, TooManyAttempts(http, wait), wait);
        }

        return new SignInAttempt(client, device, [admitted, turn], async () =>
        {
            if (device is null)
            {
                throttle.Failed(userKey, client);
                await clusterFailures.FailedAsync(userKey).ConfigureAwait(false);
            }
            else
            {
                throttle.DeviceFailed(device);
            }
        }, async ct =>
        {
            if (device is null)
            {
                throttle.Succeeded(userKey, client);
                await clusterFailures.SucceededAsync(userKey, ct).ConfigureAwait(false);
            }
            else
            {
                // Others' guesses against the account stay counted, here and on every host.
                throttle.DeviceSucceeded(device, userKey, client);
            }
        });
    }

    /// <summary>Whole seconds for <c>Retry-After</c>, at least one.</summary>
    public static int Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds));

    /// <summary>The refusal is answered after <see cref="LoginAdmission.RefusalPause"/>, holding no slot meanwhile.</summary>
    private async Task<IResult> BusyAsync(HttpContext http, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        await Task.Delay(admission.RefusalPause, time, cancellationToken).ConfigureAwait(false);
        var seconds = Seconds(retryAfter);
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ApiProblem.Result(StatusCodes.Status503ServiceUnavailable, "busy",
            $"The host is checking as many sign-ins as it can at once. Try again in {seconds} seconds.");
    }

    private static IResult TooManyAttempts(HttpContext http, TimeSpan retryAfter)
    {
        var seconds = Seconds(retryAfter);
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ApiProblem.Result(StatusCodes.Status429TooManyRequests, "too_many_attempts",
            $"Too many failed sign-ins for this user or from this address. Wait {seconds} seconds and try again.");
    }
}
