namespace Lyndrix.Core.Modules.Isolation;

/// <summary>A plugin's process broke the channel's framing (see <see cref="ChannelReadLimit"/>); the message says how, in words
/// that follow "the plugin's process …". It never holds the message's content.</summary>
internal sealed class ChannelMessageRefusedException : IOException
{
    public ChannelMessageRefusedException()
    {
    }

    public ChannelMessageRefusedException(string message)
        : base(message)
    {
    }

    public ChannelMessageRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
