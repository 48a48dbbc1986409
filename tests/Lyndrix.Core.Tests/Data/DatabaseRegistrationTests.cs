using Dapper;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Events;
using Lyndrix.Core.Hosting;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Tests.Data;

public sealed class DatabaseRegistrationTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp() => _root = TestSettings.TempDirectory();

    [TearDown]
    public void TearDown()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, true);
    }

    [Test]
    public async Task Without_DB_HOST_the_host_boots_on_the_embedded_SQLite_database_and_the_stores_work()
    {
        await using var host = await RunningHost.StartAsync(TestSettings.Host(_root));
        var connected = await host.Get<EventBus>().WaitForAsync(CoreTopics.DbConnected, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await host.Get<IPluginStateStore>().SaveAsync(new PluginStateRecord("lyndrix.plugin.hello", true, "1.0.0"), CancellationToken.None);

        var file = Path.Combine(_root, "storage", DatabaseSettings.SqliteFileName);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await connection.OpenAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(connected.Payload.GetString("dialect"), Is.EqualTo("sqlite"));
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM plugin_states"), Is.EqualTo(1));
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations WHERE owner = 'core'"), Is.EqualTo(CoreSchema.Migrations.Count));
            Assert.That(host.Get<DatabaseStatus>().IsConnected, Is.True);
            Assert.That(host.Get<IUserStore>(), Is.InstanceOf<SqlUserStore>());
            Assert.That(host.Get<ISessionStore>(), Is.InstanceOf<SqlSessionStore>());
            Assert.That(host.Get<ISchemaMigrator>(), Is.InstanceOf<SchemaMigrator>());
        });
    }

    [Test]
    public void Invalid_database_settings_stop_the_host_build_and_name_the_variables()
    {
        var settings = TestSettings.Host(_root, ("DB_HOST", "db"), ("DB_PORT", "not-a-port"), ("DB_SSL_MODE", "maybe"));
        var ex = Assert.Throws<ConfigurationException>(() => LyndrixApp.Build(settings, new LyndrixApp.Options { Console = false }));
        Assert.That(ex!.Message, Does.Contain("DB_PORT").And.Contain("DB_SSL_MODE"));
    }
}
