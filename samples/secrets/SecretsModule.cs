using System.Globalization;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Samples.Secrets;

/// <summary>Reads and writes fields of the plugin's own secret (<c>plugins/lyndrix.sample.secrets</c>).</summary>
public sealed class SecretsModule : ILyndrixModule
{
    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        // Secrets are safe to use once vault:ready_for_data has fired. It is sticky: a plugin that subscribes after it
        // fired still receives it (marked Replayed), so there is no race with the boot.
        context.Subscribe(CoreTopics.VaultReadyForData, async (ev, ct) =>
        {
            var visits = int.Parse(await context.GetSecretAsync("visits", ct) ?? "0", CultureInfo.InvariantCulture) + 1;
            await context.SetSecretAsync("visits", visits.ToString(CultureInfo.InvariantCulture), ct);
            context.Logger.LogInformation("Secret store ready{Replayed}; this plugin has started {Visits} time(s) with this store",
                ev.Replayed ? " (replayed)" : "", visits);

            // A key names a field of this plugin's own secret; there is no way to address another module's path.
            try
            {
                await context.GetSecretAsync("../lyndrix.sample.hello/greeting", ct);
            }
            catch (ArgumentException ex)
            {
                context.Logger.LogInformation("As expected, another module's secrets are out of reach: {Message}", ex.Message);
            }
        });
        return Task.CompletedTask;
    }
}
