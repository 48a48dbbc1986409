namespace Lyndrix.Core.Events;

/// <summary>Topic names are <c>domain:event</c>: lower-case letters, digits, <c>_ . -</c>, segments joined by <c>:</c>.</summary>
internal static class TopicName
{
    public static bool IsValid(string? topic)
    {
        if (string.IsNullOrEmpty(topic) || topic.Length > 200)
        {
            return false;
        }

        var colons = 0;
        var segmentLength = 0;
        foreach (var c in topic)
        {
            if (c == ':')
            {
                if (segmentLength == 0)
                {
                    return false;
                }

                colons++;
                segmentLength = 0;
            }
            else if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.' or '-')
            {
                segmentLength++;
            }
            else
            {
                return false;
            }
        }

        return colons > 0 && segmentLength > 0;
    }

    public static void Validate(string topic)
    {
        if (!IsValid(topic))
        {
            throw new ArgumentException(
                $"'{topic}' is not a valid topic. Topics look like 'domain:event' (lower-case letters, digits, '_', '.', '-').", nameof(topic));
        }
    }
}
