namespace Lyndrix.Sdk;

/// <summary>Thrown when the secret store cannot answer: sealed, unreachable, or refusing the host's token.
/// It never means "no such secret": a missing value is <see langword="null"/>.</summary>
public sealed class SecretStoreUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do; never contains secret values.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public SecretStoreUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
