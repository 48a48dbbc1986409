using Lyndrix.Core.Data;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace Lyndrix.Core.Tests.Data;

public sealed class ConnectionStringTests
{
    private static DatabaseSettings MariaDb(string name = "lyndrix_db") => new() { Host = "db.example", Port = 3307, User = "app", Name = name, SqlitePath = "" };

    [TestCase("p@ss:w/rd")]
    [TestCase("semi;colon")]
    [TestCase("quote'single")]
    [TestCase("quote\"double")]
    [TestCase("all @:/;'\" = %#&\\ é ✓")]
    [TestCase("x;Database=other;User ID=root")]
    [TestCase(" leading and trailing ")]
    public void Any_password_survives_the_connection_string_unchanged_and_alters_nothing_else(string password)
    {
        var parsed = new MySqlConnectionStringBuilder(MariaDbConnectionSource.BuildConnectionString(MariaDb(), password));
        Assert.Multiple(() =>
        {
            Assert.That(parsed.Password, Is.EqualTo(password));
            Assert.That(parsed.Database, Is.EqualTo("lyndrix_db"));
            Assert.That(parsed.UserID, Is.EqualTo("app"));
            Assert.That(parsed.Server, Is.EqualTo("db.example"));
            Assert.That(parsed.Port, Is.EqualTo(3307u));
        });
    }

    [Test]
    public void Pooled_connections_are_validated_on_checkout_and_the_password_is_not_kept()
    {
        var parsed = new MySqlConnectionStringBuilder(MariaDbConnectionSource.BuildConnectionString(MariaDb(), "pw"));
        Assert.Multiple(() =>
        {
            Assert.That(parsed.ConnectionReset, Is.True, "pre-ping equivalent");
            Assert.That(parsed.Pooling, Is.True);
            Assert.That(parsed.PersistSecurityInfo, Is.False);
        });
    }

    [TestCase("None", MySqlSslMode.None)]
    [TestCase("Preferred", MySqlSslMode.Preferred)]
    [TestCase("Required", MySqlSslMode.Required)]
    [TestCase("VerifyCa", MySqlSslMode.VerifyCA)]
    [TestCase("VerifyFull", MySqlSslMode.VerifyFull)]
    public void TLS_modes_map_to_the_driver(string mode, MySqlSslMode expected)
    {
        var parsed = new MySqlConnectionStringBuilder(MariaDbConnectionSource.BuildConnectionString(MariaDb() with { SslMode = Enum.Parse<DatabaseSslMode>(mode), SslCa = "/etc/ca.pem" }, "pw"));
        Assert.Multiple(() =>
        {
            Assert.That(parsed.SslMode, Is.EqualTo(expected));
            Assert.That(parsed.SslCa, Is.EqualTo("/etc/ca.pem"));
        });
    }

    [Test]
    public void A_database_name_with_special_characters_stays_one_value()
    {
        var parsed = new MySqlConnectionStringBuilder(MariaDbConnectionSource.BuildConnectionString(MariaDb("odd;name'x"), "pw"));
        Assert.That(parsed.Database, Is.EqualTo("odd;name'x"));
    }

    [Test]
    public void The_SQLite_path_may_contain_separators_of_the_connection_string()
    {
        var path = Path.Combine(Path.GetTempPath(), "dir with; semicolon='x'", "lyndrix.db");
        var parsed = new SqliteConnectionStringBuilder(SqliteConnectionSource.BuildConnectionString(new DatabaseSettings { SqlitePath = path }));
        Assert.Multiple(() =>
        {
            Assert.That(parsed.DataSource, Is.EqualTo(path));
            Assert.That(parsed.ForeignKeys, Is.True);
        });
    }
}
