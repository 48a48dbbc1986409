namespace Lyndrix.VaultDouble;

/// <summary>Something to do to a request instead of (or before) answering it normally.</summary>
public sealed record VaultFault
{
    private VaultFault(VaultFaultKind kind) => Kind = kind;

    public VaultFaultKind Kind { get; }

    public int StatusCode { get; private init; }

    /// <summary>Error messages of a status fault; <c>{token}</c> is replaced by the request's token, to prove clients never
    /// echo a server's error text unfiltered.</summary>
    public IReadOnlyList<string> Errors { get; private init; } = [];

    /// <summary>Value of the <c>Retry-After</c> header, if any.</summary>
    public string? RetryAfter { get; private init; }

    public TimeSpan Delay { get; private init; }

    public Uri? RedirectTo { get; private init; }

    public Action<VaultDoubleServer>? Action { get; private init; }

    /// <summary>An error answer, e.g. 412, 429 (with <paramref name="retryAfter"/>), 500, 502, 503.</summary>
    public static VaultFault Status(int statusCode, string? retryAfter = null, params string[] errors) => new(VaultFaultKind.Status)
    {
        StatusCode = statusCode,
        RetryAfter = retryAfter,
        Errors = errors.Length > 0 ? errors : [DefaultMessage(statusCode)],
    };

    public static VaultFault Drop() => new(VaultFaultKind.Drop);

    public static VaultFault Latency(TimeSpan delay) => new(VaultFaultKind.Latency) { Delay = delay };

    public static VaultFault Redirect(Uri target) => new(VaultFaultKind.Redirect) { RedirectTo = target };

    public static VaultFault Seal() => new(VaultFaultKind.Seal);

    /// <summary>Simulates a race: <paramref name="action"/> runs just before the request is handled.</summary>
    public static VaultFault Before(Action<VaultDoubleServer> action) => new(VaultFaultKind.Before) { Action = action };

    private static string DefaultMessage(int statusCode) => statusCode switch
    {
        412 => "required index state not present",
        429 => "rate limit quota exceeded",
        500 => "internal error",
        502 => "upstream rate limited",
        503 => "node is not active",
        504 => "context deadline exceeded",
        _ => "injected fault",
    };
}
