using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Newtonsoft.Json;

namespace JsonFixture;

/// <summary>Reports which Newtonsoft.Json it runs with, and proves it works by serializing something; also serializes its own
/// type with System.Text.Json (reflection) and asks TypeDescriptor about it, as ordinary plugins do: the framework caches
/// this fills must not keep the plugin from unloading.</summary>
public sealed class JsonVersionModule : ILyndrixModule
{
    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        var version = typeof(JsonConvert).Assembly.GetName().Version!.ToString();
        var text = JsonConvert.SerializeObject(new { plugin = context.Manifest.Id, answer = 42 });
        var reading = new Reading { Value = 42 };
        var stj = System.Text.Json.JsonSerializer.Serialize(reading) + JsonConvert.SerializeObject(reading);
        var converter = System.ComponentModel.TypeDescriptor.GetConverter(typeof(Reading)).GetType().Name;
        context.Emit("isolation:report", EventPayload.Create(("plugin", context.Manifest.Id), ("json_version", version), ("output", text),
            ("stj", stj), ("converter", converter)));
        return Task.CompletedTask;
    }
}

/// <summary>A type of the plugin's own, for the serializers' and TypeDescriptor's caches.</summary>
public sealed class Reading
{
    public int Value { get; set; }
}
