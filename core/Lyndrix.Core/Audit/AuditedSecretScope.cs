using System.Diagnostics;
using Lyndrix.Core.Metrics;
using Lyndrix.Core.Secrets;

namespace Lyndrix.Core.Audit;

/// <summary>
/// A module's secret scope that reports each read and write to the audit trail: the module, the path and field, and the
/// outcome (<c>ok</c>, <c>missing</c>, or the failure's kind), and counts it with its latency in the metrics. Never the value.
/// </summary>
internal sealed class AuditedSecretScope(IModuleSecretScope inner, string moduleId, AuditTrail trail, LyndrixMetrics? metrics) : IModuleSecretScope
{
    private readonly string _actor = "module:" + moduleId;

    public string Path => inner.Path;

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var value = await inner.GetAsync(key, cancellationToken).ConfigureAwait(false);
            Report("secret.read", key, value is null ? "missing" : "ok", started);
            return value;
        }
        catch (Exception ex)
        {
            Report("secret.read", key, Outcome(ex), started);
            throw;
        }
    }

    public async Task SetAsync(string key, string value, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await inner.SetAsync(key, value, cancellationToken).ConfigureAwait(false);
            Report("secret.write", key, "ok", started);
        }
        catch (Exception ex)
        {
            Report("secret.write", key, Outcome(ex), started);
            throw;
        }
    }

    public async Task<string?> UpdateAsync(string key, Func<string?, CancellationToken, Task<string?>> update, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var value = await inner.UpdateAsync(key, update, cancellationToken).ConfigureAwait(false);
            Report("secret.write", key, value is null ? "removed" : "ok", started);
            return value;
        }
        catch (Exception ex)
        {
            Report("secret.write", key, Outcome(ex), started);
            throw;
        }
    }

    private void Report(string action, string key, string outcome, long started)
    {
        trail.Record(new AuditRecord(_actor, moduleId, action, inner.Path + "#" + key, outcome));
        metrics?.SecretOperation(action == "secret.read" ? "read" : "write", outcome, Stopwatch.GetElapsedTime(started));
    }

    private static string Outcome(Exception ex) => ex switch
    {
        ArgumentException => "refused:invalid_key",
        OperationCanceledException => "cancelled",
        Lyndrix.Sdk.SecretStoreUnavailableException => "error:unavailable",
        _ => "error",
    };
}
