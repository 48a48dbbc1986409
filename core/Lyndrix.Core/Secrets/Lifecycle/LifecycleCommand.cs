namespace Lyndrix.Core.Secrets.Lifecycle;

/// <summary>Work for the lifecycle's single worker, so status checks, inits and unseals never run at the same time.</summary>
internal abstract record LifecycleCommand
{
    private LifecycleCommand()
    {
    }

    public sealed record Check(string Why) : LifecycleCommand;

    public sealed record Watch : LifecycleCommand;

    /// <param name="Origin"><c>auto</c>, <c>api</c> or <c>event</c>.</param>
    public sealed record Init(string Key, string Origin) : LifecycleCommand
    {
        public override string ToString() => $"Init(key=***, origin={Origin})";
    }

    public sealed record Unseal(string Key, string Origin) : LifecycleCommand
    {
        public override string ToString() => $"Unseal(key=***, origin={Origin})";
    }
}
