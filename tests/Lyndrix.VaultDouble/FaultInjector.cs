namespace Lyndrix.VaultDouble;

/// <summary>Faults armed on one double. Each request consumes at most one fault: the first armed rule that matches it.</summary>
public sealed class FaultInjector
{
    private readonly List<FaultRule> _rules = [];

    /// <param name="times">How many matching requests get the fault; <see cref="int.MaxValue"/> for "from now on".</param>
    /// <param name="method">Only requests with this HTTP method (e.g. <c>GET</c>, <c>LIST</c>).</param>
    /// <param name="pathPrefix">Only paths below <c>/v1/</c> starting with this, e.g. <c>lyndrix/data/</c>.</param>
    public void Add(VaultFault fault, int times = 1, string? method = null, string? pathPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_rules)
        {
            _rules.Add(new FaultRule { Fault = fault, Remaining = times, Method = method, PathPrefix = pathPrefix });
        }
    }

    /// <summary>Rules armed and not yet used up.</summary>
    public int Pending
    {
        get
        {
            lock (_rules)
            {
                return _rules.Count(r => r.Remaining > 0);
            }
        }
    }

    public void Clear()
    {
        lock (_rules)
        {
            _rules.Clear();
        }
    }

    internal VaultFault? Take(string method, string path)
    {
        lock (_rules)
        {
            var rule = _rules.FirstOrDefault(r => r.Matches(method, path));
            if (rule is null)
            {
                return null;
            }

            rule.Remaining--;
            return rule.Fault;
        }
    }
}
