using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Probe;

internal static class LoggerExtensions
{
    public static void LogProbe(this ILogger logger, string format, string arg) =>
        logger.LogInformation("{Message}", string.Format(CultureInfo.InvariantCulture, format, arg));
}
