using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Newtonsoft.Json;

namespace JsonFixture;

/// <summary>Reports which Newtonsoft.Json it runs with, and proves it works by serializing something.</summary>
public sealed class JsonVersionModule : ILyndrixModule
{
    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        var version = typeof(JsonConvert).Assembly.GetName().Version!.ToString();
        var text = JsonConvert.SerializeObject(new { plugin = context.Manifest.Id, answer = 42 });
        context.Emit("isolation:report", EventPayload.Create(("plugin", context.Manifest.Id), ("json_version", version), ("output", text)));
        return Task.CompletedTask;
    }
}
