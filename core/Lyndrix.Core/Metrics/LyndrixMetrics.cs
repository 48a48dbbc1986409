using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lyndrix.Core.Metrics;

/// <summary>
/// The host's instruments (meter <see cref="MeterName"/>), written to from the one place each thing happens: boot steps from
/// <c>BootState</c>, sign-ins from <c>SignInReporter</c>, secret operations from the audited scope, reconnects and the rest from
/// observable gauges over the services' own state. Exported for Prometheus at <c>/metrics</c>. No tag ever carries a secret or
/// a user name (user names are unbounded and personal; the audit trail has them).
/// </summary>
internal sealed class LyndrixMetrics : IDisposable
{
    public const string MeterName = "Lyndrix";

    private readonly Meter _meter;
    private readonly Histogram<double> _bootStep;
    private readonly Counter<long> _logins;
    private readonly Counter<long> _throttled;
    private readonly Counter<long> _secretOperations;
    private readonly Histogram<double> _secretDuration;
    private readonly Counter<long> _dbReconnects;

    public LyndrixMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _bootStep = _meter.CreateHistogram<double>("lyndrix.boot.step.duration", "s", "Time each boot step waited for its readiness topic.");
        _logins = _meter.CreateCounter<long>("lyndrix.logins", "{login}", "Password sign-ins by provider and outcome (ok, failed, throttled).");
        _throttled = _meter.CreateCounter<long>("lyndrix.login.throttles", "{login}", "Sign-ins refused by the throttle.");
        _secretOperations = _meter.CreateCounter<long>("lyndrix.secret.operations", "{operation}", "Module secret reads and writes by operation and outcome.");
        _secretDuration = _meter.CreateHistogram<double>("lyndrix.secret.duration", "s", "Latency of module secret reads and writes.");
        _dbReconnects = _meter.CreateCounter<long>("lyndrix.db.reconnects", "{reconnect}", "Times the database came back after it was lost.");
    }

    public void BootStepFinished(string step, string status, TimeSpan duration) =>
        _bootStep.Record(duration.TotalSeconds, new("step", step), new("status", status));

    public void Login(string provider, string outcome) => _logins.Add(1, new("provider", provider), new("outcome", outcome));

    public void Throttled() => _throttled.Add(1);

    public void SecretOperation(string operation, string outcome, TimeSpan duration)
    {
        _secretOperations.Add(1, new("operation", operation), new("outcome", outcome));
        _secretDuration.Record(duration.TotalSeconds, new TagList { { "operation", operation } });
    }

    public void DatabaseReconnected() => _dbReconnects.Add(1);

    /// <summary>A gauge whose values the caller reads from a service's state at each scrape.</summary>
    public void Observe(string name, string unit, string description, Func<IEnumerable<Measurement<long>>> read) =>
        _meter.CreateObservableGauge(name, read, unit, description);

    public void Dispose() => _meter.Dispose();
}
