using System.Text;
using System.Text.RegularExpressions;

namespace Lyndrix.VaultDouble;

/// <summary>Parses the HCL subset our policies use: <c>path "p" { capabilities = [...] }</c> blocks, the legacy
/// <c>policy = "read|write|deny|sudo"</c>, and <c>#</c> or <c>//</c> comments. Anything else is a parse error, as in Vault.</summary>
internal static partial class AclPolicyParser
{
    [GeneratedRegex("""path\s+"(?<path>[^"]*)"\s*\{(?<body>[^{}]*)\}""")]
    private static partial Regex PathBlock();

    [GeneratedRegex("""^\s*capabilities\s*=\s*\[(?<list>[^\]]*)\]\s*$""")]
    private static partial Regex CapabilitiesLine();

    [GeneratedRegex("""^\s*policy\s*=\s*"(?<p>\w+)"\s*$""")]
    private static partial Regex LegacyPolicyLine();

    [GeneratedRegex("""^\s*"(?<c>[^"]*)"\s*$""")]
    private static partial Regex QuotedItem();

    /// <exception cref="FormatException">The text is not a policy we understand; the message reads like Vault's.</exception>
    public static AclPolicy Parse(string name, string text)
    {
        var clean = StripComments(text);
        var rules = new List<AclRule>();
        foreach (Match block in PathBlock().Matches(clean))
        {
            rules.Add(new AclRule(block.Groups["path"].Value, ParseBody(block.Groups["path"].Value, block.Groups["body"].Value)));
        }

        var leftover = PathBlock().Replace(clean, "").Trim();
        if (leftover.Length > 0)
        {
            throw new FormatException($"failed to parse policy: unexpected text \"{Truncate(leftover)}\"");
        }

        return new AclPolicy(name, text, rules);
    }

    private static Capabilities ParseBody(string path, string body)
    {
        var caps = Capabilities.None;
        foreach (var statement in body.Split(['\n', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (CapabilitiesLine().Match(statement) is { Success: true } capsMatch)
            {
                foreach (var item in capsMatch.Groups["list"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var quoted = QuotedItem().Match(item);
                    if (!quoted.Success)
                    {
                        throw new FormatException($"failed to parse policy: path \"{path}\": capabilities must be quoted strings");
                    }

                    caps |= Capability(path, quoted.Groups["c"].Value);
                }
            }
            else if (LegacyPolicyLine().Match(statement) is { Success: true } legacy)
            {
                caps |= legacy.Groups["p"].Value switch
                {
                    "deny" => Capabilities.Deny,
                    "read" => Capabilities.Read | Capabilities.List,
                    "write" => Capabilities.Create | Capabilities.Read | Capabilities.Update | Capabilities.Patch | Capabilities.Delete | Capabilities.List,
                    "sudo" => Capabilities.Create | Capabilities.Read | Capabilities.Update | Capabilities.Patch | Capabilities.Delete | Capabilities.List | Capabilities.Sudo,
                    var other => throw new FormatException($"failed to parse policy: path \"{path}\": invalid policy \"{other}\""),
                };
            }
            else
            {
                throw new FormatException($"failed to parse policy: path \"{path}\": unsupported statement \"{Truncate(statement)}\"");
            }
        }

        return caps;
    }

    private static Capabilities Capability(string path, string name) => name switch
    {
        "deny" => Capabilities.Deny,
        "create" => Capabilities.Create,
        "read" => Capabilities.Read,
        "update" => Capabilities.Update,
        "patch" => Capabilities.Patch,
        "delete" => Capabilities.Delete,
        "list" => Capabilities.List,
        "sudo" => Capabilities.Sudo,
        _ => throw new FormatException($"failed to parse policy: path \"{path}\": invalid capability \"{name}\""),
    };

    private static string StripComments(string text)
    {
        var sb = new StringBuilder(text.Length);
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                inString = !inString;
            }

            if (!inString && (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/')))
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                sb.Append('\n');
                continue;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
