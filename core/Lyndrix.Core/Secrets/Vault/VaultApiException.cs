namespace Lyndrix.Core.Secrets.Vault;

/// <summary>
/// Vault refused a call (4xx other than a sealed 503). The message names the call and repeats Vault's error strings, scrubbed
/// of anything secret; it never holds a token, a key share or secret data.
/// </summary>
internal sealed class VaultApiException : Exception
{
    public VaultApiException(string operation, int statusCode, IReadOnlyList<string> errors, IReadOnlyList<string> warnings, string? message = null)
        : base(message ?? DefaultMessage(operation, statusCode, errors, warnings))
    {
        Operation = operation;
        StatusCode = statusCode;
        Errors = errors;
        Warnings = warnings;
    }

    /// <summary>Method and path of the refused call.</summary>
    public string Operation { get; }

    public int StatusCode { get; }

    public IReadOnlyList<string> Errors { get; }

    public IReadOnlyList<string> Warnings { get; }

    public bool IsPermissionDenied => StatusCode == 403;

    /// <summary>Vault says the token itself is bad (unknown, expired, revoked), not that a policy forbids the path.</summary>
    public bool IsInvalidToken => StatusCode == 403 && Errors.Any(e => e.Contains("invalid token", StringComparison.OrdinalIgnoreCase));

    public bool ErrorsContain(string text) => Errors.Any(e => e.Contains(text, StringComparison.OrdinalIgnoreCase));

    private static string DefaultMessage(string operation, int statusCode, IReadOnlyList<string> errors, IReadOnlyList<string> warnings)
    {
        var detail = errors.Count > 0 ? string.Join("; ", errors.Select(Flatten))
            : warnings.Count > 0 ? "warnings: " + string.Join("; ", warnings)
            : "no error text";
        return $"Vault refused {operation} with HTTP {statusCode}: {detail}.";
    }

    // Vault's multierror text ("1 error occurred:\n\t* permission denied\n\n") reads better on one line.
    private static string Flatten(string error) =>
        string.Join(", ", error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.EndsWith("occurred:", StringComparison.Ordinal))
            .Select(line => line.TrimStart('*', ' ')));
}
