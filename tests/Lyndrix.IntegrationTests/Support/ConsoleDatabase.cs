using System.Globalization;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>A database and its own user on the shared private MariaDB server, for one console deployment; ignores (or, with
/// LYNDRIX_REQUIRE_SERVERS=1, fails) the test when MariaDB is not installed.</summary>
internal sealed record ConsoleDatabase(MariaDbServer Server, string Name, string User, string Password)
{
    public static async Task<ConsoleDatabase> CreateAsync(string user)
    {
        if (MariaDbServer.FindBinary() is null)
        {
            ServerRequirement.Missing("MariaDB (mariadbd)", "apt-get install mariadb-server");
        }

        var server = await MariaDbServer.SharedAsync();
        await server.EnsureRunningAsync();
        var name = await server.CreateDatabaseAsync(user);
        var password = user.Replace('_', '-') + "-db-Passw0rd";
        await server.CreateUserAsync(user, password, name);
        return new ConsoleDatabase(server, name, user, password);
    }

    /// <summary>The host's DB_* settings for this database; <paramref name="port"/> replaces the server's (a <see cref="TcpGate"/>
    /// in front of it), <paramref name="password"/> the right password.</summary>
    public Dictionary<string, string> Settings(int? port = null, string? password = null) => new(StringComparer.Ordinal)
    {
        ["DB_HOST"] = MariaDbServer.Host,
        ["DB_PORT"] = (port ?? Server.Port).ToString(CultureInfo.InvariantCulture),
        ["DB_USER"] = User,
        ["DB_PASSWORD"] = password ?? Password,
        ["DB_NAME"] = Name,
    };
}
