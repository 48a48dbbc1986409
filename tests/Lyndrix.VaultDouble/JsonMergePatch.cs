using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>RFC 7386 JSON merge patch: <c>null</c> removes a key, objects merge recursively, anything else replaces.</summary>
internal static class JsonMergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                // Assigning in place keeps the key's position; the merged node is always a fresh clone.
                result[key] = Apply(result[key], value);
            }
        }

        return result;
    }
}
