using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Lyndrix.Core.Secrets.KeyFile;

/// <summary>
/// The plaintext of <c>vault_keys.enc</c> exactly as Python's default <c>json.dumps</c> writes it:
/// <c>{"root_token": "...", "unseal_keys": ["...", "..."]}</c>, with <c>", "</c> and <c>": "</c> separators and
/// <c>ensure_ascii</c> escaping (non-ASCII as lower-case <c>\uXXXX</c>, surrogate pairs for astral characters). Recovery keys
/// (Vault with an auto-unseal seal) follow as <c>"recovery_keys"</c> only when there are some, so every file the original can
/// read stays byte-identical.
/// </summary>
internal static class KeyMaterialJson
{
    /// <summary>Length of the smallest document the original can write: <c>{"root_token": "", "unseal_keys": []}</c>.</summary>
    public static int MinimumLength { get; } = Serialize(new KeyMaterial("", [])).Length;

    public static byte[] Serialize(KeyMaterial material)
    {
        ArgumentNullException.ThrowIfNull(material);
        var sb = new StringBuilder(64 + material.RootToken.Length + material.UnsealKeys.Concat(material.RecoveryKeyList).Sum(k => k.Length + 4));
        sb.Append("{\"root_token\": ");
        AppendPythonString(sb, material.RootToken);
        AppendList(sb, "unseal_keys", material.UnsealKeys);
        if (material.RecoveryKeyList.Count > 0)
        {
            AppendList(sb, "recovery_keys", material.RecoveryKeyList);
        }

        sb.Append('}');

        // Everything above is ASCII because of the escaping.
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <param name="source">Names the file (or stream) in error messages.</param>
    /// <param name="decrypted">Whether the text came out of a decryption (the message then says the key was right).</param>
    public static KeyMaterial Parse(ReadOnlySpan<byte> utf8, string source = "the key file", bool decrypted = true)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray());
        }
        catch (JsonException ex)
        {
            // The exception text is not forwarded: it could quote decrypted content.
            throw Corrupt(source, decrypted, $"its decrypted content is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Corrupt(source, decrypted, $"its decrypted content is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
            }

            if (!root.TryGetProperty("root_token", out var token) || token.ValueKind != JsonValueKind.String)
            {
                throw Corrupt(source, decrypted, "its decrypted JSON has no string \"root_token\"");
            }

            if (!root.TryGetProperty("unseal_keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                throw Corrupt(source, decrypted, "its decrypted JSON has no \"unseal_keys\" list");
            }

            var recovery = root.TryGetProperty("recovery_keys", out var recoveryKeys) ? recoveryKeys : (JsonElement?)null;
            if (recovery is { ValueKind: not JsonValueKind.Array })
            {
                throw Corrupt(source, decrypted, "its \"recovery_keys\" is not a list");
            }

            return new KeyMaterial(token.GetString()!, Strings(keys, "unseal_keys", source, decrypted),
                recovery is { } r ? Strings(r, "recovery_keys", source, decrypted) : null);
        }
    }

    private static List<string> Strings(JsonElement array, string name, string source, bool decrypted)
    {
        var list = new List<string>(array.GetArrayLength());
        foreach (var key in array.EnumerateArray())
        {
            if (key.ValueKind != JsonValueKind.String)
            {
                throw Corrupt(source, decrypted, $"an entry of its \"{name}\" list is not a string");
            }

            list.Add(key.GetString()!);
        }

        return list;
    }

    private static void AppendList(StringBuilder sb, string name, IReadOnlyList<string> values)
    {
        sb.Append(", \"").Append(name).Append("\": [");
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            AppendPythonString(sb, values[i]);
        }

        sb.Append(']');
    }

    private static KeyFileException Corrupt(string source, bool decrypted, string what) =>
        new(KeyFileProblem.Corrupt, decrypted
            ? $"{char.ToUpperInvariant(source[0])}{source[1..]} decrypted correctly, but {what}: it does not hold the expected " +
              "{\"root_token\": ..., \"unseal_keys\": [...]} document. It was written by another tool; restore the right file from a backup."
            : $"{char.ToUpperInvariant(source[0])}{source[1..]} is not key material: {what.Replace("its decrypted content", "it", StringComparison.Ordinal).Replace("its decrypted JSON", "it", StringComparison.Ordinal)}. " +
              "Expected {\"root_token\": \"...\", \"unseal_keys\": [\"...\"]}.");

    private static void AppendPythonString(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    // Python escapes everything outside ' '..'~' as \uXXXX (UTF-16 code units, so astral characters become pairs).
                    if (c < ' ' || c > '~')
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
