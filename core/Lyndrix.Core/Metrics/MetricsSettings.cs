using System.Net;
using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Metrics;

/// <summary><c>LYNDRIX_METRICS_BIND</c> (<c>ADDRESS:PORT</c>, unset by default): a separate listener that serves only
/// <c>/metrics</c>, without a session, for a Prometheus on a network the operator trusts. Unset: <c>/metrics</c> is on the API
/// port, for administrators.</summary>
internal sealed record MetricsSettings(IPEndPoint? Bind)
{
    public static MetricsSettings Read(HostSettings host)
    {
        var r = new SettingsReader(host.Source, AppContext.BaseDirectory);
        IPEndPoint? bind = null;
        if (r.String("LYNDRIX_METRICS_BIND") is { Length: > 0 } raw)
        {
            if (!IPEndPoint.TryParse(raw, out bind) || bind.Port == 0)
            {
                r.Problem("LYNDRIX_METRICS_BIND", $"must be an IP address and a port, such as 127.0.0.1:9464 or [::1]:9464 (got '{raw}')");
                bind = null;
            }
            else if (bind.Port == host.Port)
            {
                r.Problem("LYNDRIX_METRICS_BIND", $"must use another port than the API (PORT={host.Port})");
                bind = null;
            }
        }

        r.ThrowIfInvalid();
        return new MetricsSettings(bind);
    }
}
