namespace Lyndrix.Core.Hosting.WebConsole;

/// <summary>One file of the console: its bytes, media type and entity tag (a hash of the bytes).</summary>
internal sealed record ConsoleAsset(byte[] Content, string ContentType, string ETag);
