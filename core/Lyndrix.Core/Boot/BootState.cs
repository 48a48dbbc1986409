namespace Lyndrix.Core.Boot;

/// <summary>What the boot is doing, for <c>GET /api/boot</c> and for error messages that say which step waits on what.</summary>
internal sealed class BootState(TimeProvider time, Metrics.LyndrixMetrics? metrics = null)
{
    /// <summary>The status of a step the boot stopped waiting for in time; it goes on waiting for it.</summary>
    public const string TimedOut = "timed_out";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, BootStepState> _steps = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public string Phase { get; private set; } = BootPhase.WaitingCore;

    public string? Error { get; private set; }

    public bool IsBooting { get; private set; } = true;

    /// <summary>Whether the boot has come to rest: ready, or failed for good. A step that timed out fails the phase but is still
    /// waited for (the boot resumes when its topic arrives late), so while one has, the boot has not settled.</summary>
    public bool HasSettled
    {
        get
        {
            lock (_gate)
            {
                return Phase == BootPhase.Ready || (Phase == BootPhase.Failed && !_steps.Values.Any(s => s.Status == TimedOut));
            }
        }
    }

    public void SetPhase(string phase, string? error = null)
    {
        lock (_gate)
        {
            Phase = phase;
            Error = error;
            IsBooting = phase is BootPhase.WaitingCore or BootPhase.LoadingModules;
        }
    }

    public void Define(string step, string waitsFor)
    {
        lock (_gate)
        {
            // A service may have reported before the boot defined its steps; keep what it said.
            var detail = _steps.TryGetValue(step, out var existing) ? existing.Detail : null;
            _order.Remove(step);
            _order.Add(step);

            _steps[step] = new BootStepState(step, waitsFor, "pending", null, null, detail);
        }
    }

    public void Update(string step, string status, string? error = null)
    {
        lock (_gate)
        {
            var current = _steps[step];
            var now = time.GetUtcNow();
            if (status is "done" or TimedOut && current.Since is { } started && current.Status is "waiting" or "running")
            {
                metrics?.BootStepFinished(step, status, now - started);
            }

            _steps[step] = current with
            {
                Status = status,
                Error = error,
                Since = now,
            };
        }
    }

    /// <summary>A service says what it is doing now; used when a step times out to tell the operator why.</summary>
    public void Report(string step, string detail)
    {
        lock (_gate)
        {
            if (_steps.TryGetValue(step, out var current))
            {
                _steps[step] = current with { Detail = detail };
            }
            else
            {
                _order.Add(step);
                _steps[step] = new BootStepState(step, "", "pending", null, null, detail);
            }
        }
    }

    public BootStepState Step(string step)
    {
        lock (_gate)
        {
            return _steps[step];
        }
    }

    public BootSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new BootSnapshot(Phase, Error, IsBooting, _order.Select(s => _steps[s]).ToArray());
        }
    }
}

internal sealed record BootStepState(string Name, string WaitsFor, string Status, string? Error, DateTimeOffset? Since, string? Detail);

internal sealed record BootSnapshot(string Phase, string? Error, bool IsBooting, IReadOnlyList<BootStepState> Steps);
