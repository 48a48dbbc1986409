using System.Data.Common;
using Dapper;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>
/// The behaviour every dialect must show above the connection seam: the stores and the migrator. Each concrete subclass
/// supplies a fresh database per test (<see cref="MariaDbRepositoryTests"/>, <see cref="SqliteRepositoryTests"/>).
/// </summary>
public abstract partial class RepositoryContractTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    private IDatabaseConnectionSource _source = null!;
    private CapturingLoggerProvider _logs = null!;
    private DatabaseCredentialRedactor _redactor = null!;

    internal SchemaMigrator Migrator { get; private set; } = null!;

    internal SqlPluginStateStore PluginStates { get; private set; } = null!;

    internal SqlUserStore Users { get; private set; } = null!;

    internal SqlSessionStore Sessions { get; private set; } = null!;

    internal IDatabaseConnectionSource Source => _source;

    internal abstract Task<DatabaseUnderTest> CreateDatabaseAsync();

    internal abstract Task DropDatabaseAsync(DatabaseUnderTest database);

    private DatabaseUnderTest _database = null!;

    [SetUp]
    public async Task SetUpDatabase()
    {
        _database = await CreateDatabaseAsync();
        _logs = new CapturingLoggerProvider();
        _redactor = new DatabaseCredentialRedactor();
        _redactor.AddSecret(_database.Password);
        _source = _database.Settings.UsesMariaDb ? new MariaDbConnectionSource(_database.Settings) : new SqliteConnectionSource(_database.Settings);
        _source.Configure(_database.Password);
        Migrator = new SchemaMigrator(_source, _redactor, TimeProvider.System, _logs.CreateLogger<SchemaMigrator>());
        await Migrator.MigrateAsync("core", CoreSchema.Migrations, CancellationToken.None);
        PluginStates = new SqlPluginStateStore(_source, TimeProvider.System);
        Users = new SqlUserStore(_source, TimeProvider.System);
        Sessions = new SqlSessionStore(_source);
    }

    [TearDown]
    public async Task TearDownDatabase()
    {
        if (_database.Password is { Length: > 0 } password)
        {
            Assert.That(_logs.AllText, Does.Not.Contain(password), "a database password reached a log");
        }

        _logs.Dispose();
        await _source.DisposeAsync();
        await DropDatabaseAsync(_database);
    }

    internal async Task<bool> TableExistsAsync(string table)
    {
        await using var connection = await _source.OpenAsync(CancellationToken.None);
        try
        {
            await connection.ExecuteScalarAsync($"SELECT COUNT(*) FROM `{table}`");
            return true;
        }
        catch (DbException)
        {
            return false;
        }
    }

    internal async Task<long> CountAsync(string sql)
    {
        await using var connection = await _source.OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    private static UserRecord User(string id, string username, params string[] roles) =>
        new(id, username, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "Full Name", $"{username}@example.org", roles, false, null, T0);

    private static SessionRecord Session(string id, string username, string hash, DateTimeOffset created) =>
        new(id, username, hash, "browser", created, created.AddHours(8), null, null);

    // ---- plugin states ----

    [Test]
    public async Task Plugin_state_round_trips_and_updates_in_place()
    {
        Assert.That(await PluginStates.GetAsync("lyndrix.plugin.hello", CancellationToken.None), Is.Null);
        await PluginStates.SaveAsync(new PluginStateRecord("lyndrix.plugin.hello", true, "1.0.0"), CancellationToken.None);
        await PluginStates.SaveAsync(new PluginStateRecord("lyndrix.plugin.hello", false, "1.1.0"), CancellationToken.None);
        await PluginStates.SaveAsync(new PluginStateRecord("a.first", true, "0.1.0"), CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(await PluginStates.GetAsync("lyndrix.plugin.hello", CancellationToken.None), Is.EqualTo(new PluginStateRecord("lyndrix.plugin.hello", false, "1.1.0")));
            Assert.That(await PluginStates.ListAsync(CancellationToken.None),
                Is.EqualTo(new[] { new PluginStateRecord("a.first", true, "0.1.0"), new PluginStateRecord("lyndrix.plugin.hello", false, "1.1.0") }));
            Assert.That(await CountAsync("SELECT COUNT(*) FROM `plugin_states` WHERE `updated_at` > 0"), Is.EqualTo(2));
        });
    }

    [TestCase("")]
    [TestCase("   ")]
    public async Task A_plugin_state_without_module_id_is_refused_and_nothing_is_saved(string moduleId)
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(() => PluginStates.SaveAsync(new PluginStateRecord(moduleId, true, "1.0.0"), CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("module id"));
        Assert.That(await PluginStates.ListAsync(CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task A_too_long_module_id_is_refused_with_the_limit()
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(() => PluginStates.SaveAsync(new PluginStateRecord(new string('a', 191), true, "1"), CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("191").And.Contain("190"));
        Assert.That(await PluginStates.ListAsync(CancellationToken.None), Is.Empty);
    }

    // ---- users ----

    [Test]
    public async Task A_user_round_trips_with_every_field_and_sorted_roles()
    {
        var user = new UserRecord("u-1", "admin", "$argon2id$hash", "Ädmin 😀", "admin@lyndrix.local", ["INT_ADMIN", "bot", "INT_USER"], true, "marker-v1",
            T0.ToOffset(TimeSpan.FromHours(2)));
        await Users.CreateAsync(user, CancellationToken.None);
        var found = await Users.FindAsync("admin", CancellationToken.None);
        Assert.That(found, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(found!.Id, Is.EqualTo("u-1"));
            Assert.That(found.PasswordHash, Is.EqualTo("$argon2id$hash"));
            Assert.That(found.FullName, Is.EqualTo("Ädmin 😀"));
            Assert.That(found.Email, Is.EqualTo("admin@lyndrix.local"));
            Assert.That(found.Roles, Is.EqualTo(new[] { "INT_ADMIN", "INT_USER", "bot" }));
            Assert.That(found.IsAdmin, Is.True);
            Assert.That(found.BootstrapMarker, Is.EqualTo("marker-v1"));
            Assert.That(found.CreatedAt, Is.EqualTo(T0), "the same instant, returned in UTC");
        });
    }

    [Test]
    public async Task Optional_user_fields_may_be_null_and_unknown_users_are_not_found()
    {
        await Users.CreateAsync(new UserRecord("u-2", "sso-user", null, null, null, [], false, null, T0), CancellationToken.None);
        var found = await Users.FindAsync("sso-user", CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(found!.PasswordHash, Is.Null);
            Assert.That(found.FullName, Is.Null);
            Assert.That(found.Email, Is.Null);
            Assert.That(found.Roles, Is.Empty);
            Assert.That(await Users.FindAsync("nobody", CancellationToken.None), Is.Null);
        });
    }

    [Test]
    public async Task Usernames_are_case_sensitive_in_every_dialect()
    {
        await Users.CreateAsync(User("u-1", "admin"), CancellationToken.None);
        await Users.CreateAsync(User("u-2", "Admin"), CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That((await Users.FindAsync("Admin", CancellationToken.None))!.Id, Is.EqualTo("u-2"));
            Assert.That(await Users.FindAsync("ADMIN", CancellationToken.None), Is.Null);
        });
    }

    [Test]
    public async Task Creating_a_second_user_with_the_same_username_fails_and_keeps_the_first()
    {
        await Users.CreateAsync(User("u-1", "alice", "INT_USER"), CancellationToken.None);
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => Users.CreateAsync(User("u-2", "alice", "INT_ADMIN"), CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("'alice' already exists"));
        var users = await Users.ListAsync(CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(users.Select(u => u.Id), Is.EqualTo(new[] { "u-1" }));
            Assert.That(users[0].Roles, Is.EqualTo(new[] { "INT_USER" }));
        });
    }

    [Test]
    public async Task Creating_a_user_with_a_taken_id_fails_and_says_so()
    {
        await Users.CreateAsync(User("u-1", "alice"), CancellationToken.None);
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => Users.CreateAsync(User("u-1", "bob"), CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("id 'u-1'"));
        Assert.That(await Users.FindAsync("bob", CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task Updating_replaces_fields_and_roles_without_touching_other_users()
    {
        await Users.CreateAsync(User("u-1", "alice", "INT_USER", "reports"), CancellationToken.None);
        await Users.CreateAsync(User("u-2", "bob", "INT_USER"), CancellationToken.None);
        await Users.UpdateAsync(User("u-1", "alice2", "INT_ADMIN") with { IsAdmin = true, PasswordHash = null, BootstrapMarker = "m2" }, CancellationToken.None);
        var alice = await Users.FindAsync("alice2", CancellationToken.None);
        var bob = await Users.FindAsync("bob", CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(await Users.FindAsync("alice", CancellationToken.None), Is.Null);
            Assert.That(alice!.Id, Is.EqualTo("u-1"));
            Assert.That(alice.Roles, Is.EqualTo(new[] { "INT_ADMIN" }));
            Assert.That(alice.IsAdmin, Is.True);
            Assert.That(alice.PasswordHash, Is.Null);
            Assert.That(alice.BootstrapMarker, Is.EqualTo("m2"));
            Assert.That(bob!.Roles, Is.EqualTo(new[] { "INT_USER" }));
            Assert.That(await CountAsync("SELECT COUNT(*) FROM `groups`"), Is.EqualTo(3), "groups are kept once created");
        });
    }

    [Test]
    public async Task Updating_an_unknown_user_fails_and_creates_nothing()
    {
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => Users.UpdateAsync(User("ghost", "ghost", "INT_USER"), CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("no user with id 'ghost'"));
        Assert.Multiple(async () =>
        {
            Assert.That(await Users.ListAsync(CancellationToken.None), Is.Empty);
            Assert.That(await CountAsync("SELECT COUNT(*) FROM `user_groups`"), Is.Zero);
        });
    }

    [Test]
    public async Task Renaming_to_a_taken_username_fails_and_changes_nothing()
    {
        await Users.CreateAsync(User("u-1", "alice", "INT_USER"), CancellationToken.None);
        await Users.CreateAsync(User("u-2", "bob", "INT_USER"), CancellationToken.None);
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => Users.UpdateAsync(User("u-1", "bob", "INT_ADMIN"), CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("another user has that username"));
        var alice = await Users.FindAsync("alice", CancellationToken.None);
        Assert.That(alice!.Roles, Is.EqualTo(new[] { "INT_USER" }));
    }

    [Test]
    public async Task Listing_users_is_sorted_and_carries_each_users_roles()
    {
        await Users.CreateAsync(User("u-2", "zed", "b"), CancellationToken.None);
        await Users.CreateAsync(User("u-1", "amy", "a", "c"), CancellationToken.None);
        var users = await Users.ListAsync(CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(users.Select(u => u.Username), Is.EqualTo(new[] { "amy", "zed" }));
            Assert.That(users[0].Roles, Is.EqualTo(new[] { "a", "c" }));
            Assert.That(users[1].Roles, Is.EqualTo(new[] { "b" }));
        });
    }

    [Test]
    public async Task Invalid_users_are_refused_before_anything_is_written()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => Users.CreateAsync(User("u-1", ""), CancellationToken.None), Throws.ArgumentException.With.Message.Contains("username"));
            Assert.That(() => Users.CreateAsync(User("", "x"), CancellationToken.None), Throws.ArgumentException.With.Message.Contains("user id"));
            Assert.That(() => Users.CreateAsync(User("u-1", "x", " "), CancellationToken.None), Throws.ArgumentException.With.Message.Contains("role"));
            Assert.That(() => Users.CreateAsync(User("u-1", "x") with { Email = new string('e', 256) }, CancellationToken.None),
                Throws.ArgumentException.With.Message.Contains("255"));
        });
        Assert.That(await Users.ListAsync(CancellationToken.None), Is.Empty);
    }

    // ---- sessions ----

    [Test]
    public async Task A_session_round_trips_by_token_hash()
    {
        var session = new SessionRecord("s-1", "alice", "sha256:" + new string('a', 64), "api key: ci", T0, T0.AddDays(30), null, T0.AddMinutes(1));
        await Sessions.CreateAsync(session, CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(await Sessions.FindByTokenHashAsync(session.TokenHash, CancellationToken.None), Is.EqualTo(session));
            Assert.That(await Sessions.FindByTokenHashAsync("sha256:other", CancellationToken.None), Is.Null);
        });
    }

    [Test]
    public async Task Sessions_of_a_user_are_listed_oldest_first()
    {
        await Sessions.CreateAsync(Session("s-2", "alice", "h2", T0.AddMinutes(5)), CancellationToken.None);
        await Sessions.CreateAsync(Session("s-1", "alice", "h1", T0), CancellationToken.None);
        await Sessions.CreateAsync(Session("s-3", "bob", "h3", T0), CancellationToken.None);
        var list = await Sessions.ListForUserAsync("alice", CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(list.Select(s => s.Id), Is.EqualTo(new[] { "s-1", "s-2" }));
            Assert.That(await Sessions.ListForUserAsync("nobody", CancellationToken.None), Is.Empty);
        });
    }

    [Test]
    public async Task Revoking_marks_the_session_once_and_reports_unknown_ids()
    {
        await Sessions.CreateAsync(Session("s-1", "alice", "h1", T0), CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(await Sessions.RevokeAsync("s-1", T0.AddHours(1), CancellationToken.None), Is.True);
            Assert.That(await Sessions.RevokeAsync("s-1", T0.AddHours(2), CancellationToken.None), Is.True, "already revoked still exists");
            Assert.That(await Sessions.RevokeAsync("missing", T0, CancellationToken.None), Is.False);
            Assert.That((await Sessions.FindByTokenHashAsync("h1", CancellationToken.None))!.RevokedAt, Is.EqualTo(T0.AddHours(1)), "the first revocation time is kept");
        });
    }

    [Test]
    public async Task Touching_records_the_last_use()
    {
        await Sessions.CreateAsync(Session("s-1", "alice", "h1", T0), CancellationToken.None);
        await Sessions.TouchAsync("s-1", T0.AddMinutes(3), CancellationToken.None);
        await Sessions.TouchAsync("missing", T0, CancellationToken.None);
        Assert.That((await Sessions.FindByTokenHashAsync("h1", CancellationToken.None))!.LastUsedAt, Is.EqualTo(T0.AddMinutes(3)));
    }

    [Test]
    public async Task A_duplicate_token_hash_is_refused_without_naming_the_hash()
    {
        await Sessions.CreateAsync(Session("s-1", "alice", "secret-hash-value", T0), CancellationToken.None);
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => Sessions.CreateAsync(Session("s-2", "bob", "secret-hash-value", T0), CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("already exists").And.Not.Contain("secret-hash-value"));
        Assert.That(await Sessions.ListForUserAsync("bob", CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task A_session_that_expires_before_it_starts_is_refused()
    {
        Assert.That(() => Sessions.CreateAsync(Session("s-1", "alice", "h1", T0) with { ExpiresAt = T0.AddSeconds(-1) }, CancellationToken.None),
            Throws.ArgumentException.With.Message.Contains("expire"));
        Assert.That(await Sessions.ListForUserAsync("alice", CancellationToken.None), Is.Empty);
    }

    // ---- migrations ----

    [Test]
    public async Task Core_migrations_are_recorded_and_running_them_again_applies_nothing()
    {
        var again = await Migrator.MigrateAsync("core", CoreSchema.Migrations, CancellationToken.None);
        var recorded = await Migrator.ListAppliedAsync("core", CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(again, Is.Empty);
            Assert.That(recorded.Select(m => m.Version), Is.EqualTo(CoreSchema.Migrations.Select(m => m.Version)));
            Assert.That(recorded.All(m => m.IsComplete), Is.True);
            foreach (var table in new[] { "plugin_states", "users", "groups", "user_groups", "sessions", "schema_migrations" })
            {
                Assert.That(await TableExistsAsync(table), Is.True, table);
            }
        });
    }

    [Test]
    public async Task A_plugin_owns_its_tables_through_its_own_versioned_migrations()
    {
        var v1 = SchemaMigration.Portable(1, "create notes", "CREATE TABLE `plugin_notes` (`id` INTEGER NOT NULL PRIMARY KEY, `body` TEXT NOT NULL)");
        var v2 = SchemaMigration.Portable(2, "add notes.author", "ALTER TABLE `plugin_notes` ADD COLUMN `author` VARCHAR(64) NULL");
        var first = await Migrator.MigrateAsync("lyndrix.plugin.notes", [v1], CancellationToken.None);
        var second = await Migrator.MigrateAsync("lyndrix.plugin.notes", [v1, v2], CancellationToken.None);
        var third = await Migrator.MigrateAsync("lyndrix.plugin.notes", [v1, v2], CancellationToken.None);
        await using (var connection = await Source.OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("INSERT INTO `plugin_notes` (`id`, `body`, `author`) VALUES (1, 'hi', 'me')");
        }

        Assert.Multiple(async () =>
        {
            Assert.That(first, Is.EqualTo(new[] { 1 }));
            Assert.That(second, Is.EqualTo(new[] { 2 }));
            Assert.That(third, Is.Empty);
            Assert.That((await Migrator.ListAppliedAsync("lyndrix.plugin.notes", CancellationToken.None)).Select(m => m.Version), Is.EqualTo(new[] { 1, 2 }));
            Assert.That((await Migrator.ListAppliedAsync("core", CancellationToken.None)).Count, Is.EqualTo(CoreSchema.Migrations.Count), "owners are tracked apart");
        });
    }

    [Test]
    public async Task A_failing_migration_names_itself_leaves_the_schema_as_it_was_and_keeps_earlier_ones()
    {
        var good = SchemaMigration.Portable(1, "create a", "CREATE TABLE `mig_a` (`id` INTEGER NOT NULL PRIMARY KEY)");
        var bad = SchemaMigration.Portable(2, "broken", "CREATE TABLE `mig_b` (`id` INTEGER NOT NULL PRIMARY KEY, `oops` NO_SUCH_TYPE_X(")
            ;
        var ex = Assert.ThrowsAsync<MigrationFailedException>(() => Migrator.MigrateAsync("lyndrix.plugin.m", [good, bad], CancellationToken.None));
        Assert.Multiple(async () =>
        {
            Assert.That(ex!.Message, Does.Contain("lyndrix.plugin.m #2 'broken'").And.Contain("statement 1 of 1").And.Contain("schema is as it was"));
            Assert.That(ex.SchemaRestored, Is.True);
            Assert.That(ex.Version, Is.EqualTo(2));
            Assert.That(await TableExistsAsync("mig_a"), Is.True);
            Assert.That(await TableExistsAsync("mig_b"), Is.False);
            Assert.That((await Migrator.ListAppliedAsync("lyndrix.plugin.m", CancellationToken.None)).Select(m => m.Version), Is.EqualTo(new[] { 1 }));
        });

        var fixedBad = SchemaMigration.Portable(2, "broken", "CREATE TABLE `mig_b` (`id` INTEGER NOT NULL PRIMARY KEY)");
        Assert.That(await Migrator.MigrateAsync("lyndrix.plugin.m", [good, fixedBad], CancellationToken.None), Is.EqualTo(new[] { 2 }));
    }

    [Test]
    public async Task A_multi_statement_migration_with_undo_statements_leaves_the_schema_as_it_was_when_a_later_statement_fails()
    {
        var migration = SchemaMigration.Portable(1, "two tables",
            new MigrationStep("CREATE TABLE `mig_x` (`id` INTEGER NOT NULL PRIMARY KEY)", "DROP TABLE `mig_x`"),
            new MigrationStep("CREATE TABLE `mig_y` (`id` INTEGER NOT NULL PRIMARY KEY)", "DROP TABLE `mig_y`"),
            new MigrationStep("INSERT INTO `no_such_table` VALUES (1)"));
        var ex = Assert.ThrowsAsync<MigrationFailedException>(() => Migrator.MigrateAsync("lyndrix.plugin.u", [migration], CancellationToken.None));
        Assert.Multiple(async () =>
        {
            Assert.That(ex!.SchemaRestored, Is.True);
            Assert.That(ex.Message, Does.Contain("statement 3 of 3"));
            Assert.That(await TableExistsAsync("mig_x"), Is.False);
            Assert.That(await TableExistsAsync("mig_y"), Is.False);
            Assert.That(await Migrator.ListAppliedAsync("lyndrix.plugin.u", CancellationToken.None), Is.Empty);
        });
    }

    [Test]
    public void A_renamed_published_migration_is_refused()
    {
        var renamed = CoreSchema.Migrations.Select(m => m.Version == 2 ? m with { Name = "create people" } : m).ToArray();
        var ex = Assert.ThrowsAsync<MigrationFailedException>(() => Migrator.MigrateAsync("core", renamed, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("recorded as 'create users'").And.Contain("'create people'"));
    }

    [Test]
    public async Task Invalid_migration_lists_are_refused_before_anything_runs()
    {
        var a = SchemaMigration.Portable(1, "a", "CREATE TABLE `inv_a` (`id` INTEGER NOT NULL PRIMARY KEY)");
        Assert.Multiple(() =>
        {
            Assert.That(() => Migrator.MigrateAsync("Bad Owner!", [a], CancellationToken.None), Throws.ArgumentException.With.Message.Contains("owner"));
            Assert.That(() => Migrator.MigrateAsync("p", [a, a], CancellationToken.None), Throws.ArgumentException.With.Message.Contains("ascending"));
            Assert.That(() => Migrator.MigrateAsync("p", [a with { Version = 0 }], CancellationToken.None), Throws.ArgumentException.With.Message.Contains("positive"));
            Assert.That(() => Migrator.MigrateAsync("p", [a with { Sqlite = [] }], CancellationToken.None), Throws.ArgumentException.With.Message.Contains("SQLite"));
            Assert.That(() => Migrator.MigrateAsync("p", [a with { Name = " " }], CancellationToken.None), Throws.ArgumentException.With.Message.Contains("name"));
        });
        Assert.That(await TableExistsAsync("inv_a"), Is.False);
    }
}
