using Lyndrix.Core.Auth;
using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Tests.Auth.Support;

/// <summary>Builds config sources and settings for auth tests.</summary>
internal static class AuthTestConfig
{
    /// <summary>Cheap Argon2 parameters so tests that hash many passwords stay fast; production uses the defaults.</summary>
    public static readonly PasswordHashParameters CheapHashing = new(1, 1024, 1);

    /// <summary>One hashing pool for tests that build a <see cref="PasswordHasher"/> themselves (the host has its own).</summary>
    public static readonly PasswordHashingPool HashingPool = new(1, Microsoft.Extensions.Logging.Abstractions.NullLogger<PasswordHashingPool>.Instance);

    public static PasswordHasher Hasher(PasswordHashParameters parameters) => new(parameters, HashingPool);

    public static IConfigSource Source(params (string Name, string Value)[] values) =>
        new EnvironmentConfigSource(values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal));

    public static AuthSettings Settings(params (string Name, string Value)[] values) => AuthSettings.Load(Source(values), Path.GetTempPath());
}
