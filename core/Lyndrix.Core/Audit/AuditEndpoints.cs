using System.Data.Common;
using System.Globalization;
using Lyndrix.Core.Data;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Events;
using Lyndrix.Core.Hosting.Http;
using Lyndrix.Core.Security;
using Lyndrix.Sdk.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Audit;

/// <summary>
/// <c>GET /api/audit?since=&amp;after=&amp;module=&amp;action=&amp;actor=&amp;limit=</c>: records oldest first, a page at a time
/// (<c>next_after</c> continues); <c>GET /api/audit/verify</c>: walks the whole chain against the secret store's anchor.
/// </summary>
internal static class AuditEndpoints
{
    public const int MaxLimit = 1000;

    public static RouteGroupBuilder Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit");
        group.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DatabaseUnavailableException or DbException or SecretBackendSealedException
                                           or SecretBackendUnreachableException or SecretBackendAuthException or InvalidOperationException
                                       && !context.HttpContext.RequestAborted.IsCancellationRequested)
            {
                return ApiProblem.Result(StatusCodes.Status503ServiceUnavailable, "audit_unavailable",
                    "The audit trail needs the database and the secret store (its key), and one of them does not answer now; GET /api/health says which. Try again later.");
            }
        });
        group.MapGet("/", ListAsync);
        group.MapGet("/verify", VerifyAsync);
        return group;
    }

    private static async Task<IResult> ListAsync(HttpContext http, SqlAuditStore store, CancellationToken cancellationToken)
    {
        var q = http.Request.Query;
        DateTimeOffset? since = null;
        if (q["since"].ToString() is { Length: > 0 } rawSince)
        {
            if (!DateTimeOffset.TryParse(rawSince, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return Invalid("'since' is a date and time in ISO 8601 (2026-11-29T04:00:00Z); times without a zone are UTC.");
            }

            since = parsed;
        }

        long? after = null;
        if (q["after"].ToString() is { Length: > 0 } rawAfter)
        {
            if (!long.TryParse(rawAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var a))
            {
                return Invalid("'after' is the sequence number of the last record you have (next_after of the previous page).");
            }

            after = a;
        }

        var limit = 100;
        if (q["limit"].ToString() is { Length: > 0 } rawLimit &&
            (!int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return Invalid($"'limit' is 1 to {MaxLimit}.");
        }

        var entries = await store.QueryAsync(new AuditQuery(since, after, Text(q["module"]), Text(q["action"]), Text(q["actor"]), limit), cancellationToken)
            .ConfigureAwait(false);
        return Results.Json(new
        {
            entries = entries.Select(e => new
            {
                seq = e.Seq, at = e.At, actor = e.Actor, module = e.Module, action = e.Action, target = e.Target, outcome = e.Outcome,
                detail = e.Detail, prev_hash = e.PrevHash, hash = e.Hash,
            }),
            next_after = entries.Count == limit ? entries[^1].Seq : (long?)null,
        });
    }

    private static async Task<IResult> VerifyAsync(HttpContext http, AuditTrailVerifier verifier, EventBus bus, CancellationToken cancellationToken)
    {
        var (result, mark) = await verifier.RunAsync(cancellationToken).ConfigureAwait(false);
        if (!result.Intact)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(SecurityLog.Category);
            SecurityLog.AuditChainBroken(logger, result.BrokenAt!.Value, result.Problem!);
            bus.Emit(SecurityTopics.AuditChainBroken, EventPayload.Create(("seq", result.BrokenAt.Value), ("problem", result.Problem)));
        }

        return Results.Json(new
        {
            status = result.Intact ? "intact" : "broken",
            @checked = result.Checked,
            head_seq = result.HeadSeq,
            anchored_seq = mark.HeadSeq,
            floor_seq = mark.FloorSeq,
            broken_at = result.BrokenAt,
            problem = result.Problem,
        });
    }

    private static string? Text(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is { Length: > 0 } s ? s : null;

    private static IResult Invalid(string detail) => ApiProblem.Result(StatusCodes.Status400BadRequest, "invalid_query", detail);
}
