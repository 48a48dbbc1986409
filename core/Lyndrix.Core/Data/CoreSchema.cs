namespace Lyndrix.Core.Data;

/// <summary>
/// The core tables. Times are Unix milliseconds in a BIGINT/INTEGER column: the same type in both dialects, no time-zone
/// conversion by the server (MariaDB's TIMESTAMP follows the session zone) and an exact round trip.
/// Each MariaDB migration is one statement written with IF NOT EXISTS, so it is all-or-nothing and harmless to repeat.
/// Never edit a published migration: append a new version.
/// </summary>
internal static class CoreSchema
{
    private const string MariaDbOptions = " " + MariaDbDialect.TableOptions;

    public static IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        Table(1, "create plugin_states",
            "CREATE TABLE IF NOT EXISTS `plugin_states` (`module_id` VARCHAR(190) NOT NULL PRIMARY KEY, `is_active` BOOLEAN NOT NULL, " +
            "`installed_version` VARCHAR(64) NOT NULL, `updated_at` BIGINT NOT NULL)" + MariaDbOptions,
            "CREATE TABLE IF NOT EXISTS `plugin_states` (`module_id` TEXT NOT NULL PRIMARY KEY, `is_active` INTEGER NOT NULL, " +
            "`installed_version` TEXT NOT NULL, `updated_at` INTEGER NOT NULL)"),
        Table(2, "create users",
            "CREATE TABLE IF NOT EXISTS `users` (`id` VARCHAR(64) NOT NULL PRIMARY KEY, `username` VARCHAR(190) NOT NULL, " +
            "`password_hash` TEXT NULL, `full_name` VARCHAR(255) NULL, `email` VARCHAR(255) NULL, `is_admin` BOOLEAN NOT NULL, " +
            "`bootstrap_marker` TEXT NULL, `created_at` BIGINT NOT NULL, CONSTRAINT `ux_users_username` UNIQUE (`username`))" + MariaDbOptions,
            "CREATE TABLE IF NOT EXISTS `users` (`id` TEXT NOT NULL PRIMARY KEY, `username` TEXT NOT NULL, " +
            "`password_hash` TEXT NULL, `full_name` TEXT NULL, `email` TEXT NULL, `is_admin` INTEGER NOT NULL, " +
            "`bootstrap_marker` TEXT NULL, `created_at` INTEGER NOT NULL, CONSTRAINT `ux_users_username` UNIQUE (`username`))"),
        Table(3, "create groups",
            "CREATE TABLE IF NOT EXISTS `groups` (`name` VARCHAR(190) NOT NULL PRIMARY KEY, `description` VARCHAR(1024) NULL, " +
            "`created_at` BIGINT NOT NULL)" + MariaDbOptions,
            "CREATE TABLE IF NOT EXISTS `groups` (`name` TEXT NOT NULL PRIMARY KEY, `description` TEXT NULL, `created_at` INTEGER NOT NULL)"),
        Table(4, "create user_groups",
            "CREATE TABLE IF NOT EXISTS `user_groups` (`user_id` VARCHAR(64) NOT NULL, `group_name` VARCHAR(190) NOT NULL, " +
            "PRIMARY KEY (`user_id`, `group_name`), " +
            "CONSTRAINT `fk_user_groups_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, " +
            "CONSTRAINT `fk_user_groups_group` FOREIGN KEY (`group_name`) REFERENCES `groups` (`name`) ON DELETE CASCADE)" + MariaDbOptions,
            "CREATE TABLE IF NOT EXISTS `user_groups` (`user_id` TEXT NOT NULL, `group_name` TEXT NOT NULL, " +
            "PRIMARY KEY (`user_id`, `group_name`), " +
            "FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, " +
            "FOREIGN KEY (`group_name`) REFERENCES `groups` (`name`) ON DELETE CASCADE)"),
        Table(5, "create sessions",
            "CREATE TABLE IF NOT EXISTS `sessions` (`id` VARCHAR(64) NOT NULL PRIMARY KEY, `username` VARCHAR(190) NOT NULL, " +
            "`token_hash` VARCHAR(190) NOT NULL, `label` VARCHAR(255) NOT NULL, `created_at` BIGINT NOT NULL, `expires_at` BIGINT NOT NULL, " +
            "`revoked_at` BIGINT NULL, `last_used_at` BIGINT NULL, CONSTRAINT `ux_sessions_token_hash` UNIQUE (`token_hash`))" + MariaDbOptions,
            "CREATE TABLE IF NOT EXISTS `sessions` (`id` TEXT NOT NULL PRIMARY KEY, `username` TEXT NOT NULL, " +
            "`token_hash` TEXT NOT NULL, `label` TEXT NOT NULL, `created_at` INTEGER NOT NULL, `expires_at` INTEGER NOT NULL, " +
            "`revoked_at` INTEGER NULL, `last_used_at` INTEGER NULL, CONSTRAINT `ux_sessions_token_hash` UNIQUE (`token_hash`))"),
        SchemaMigration.Portable(6, "index sessions by username",
            "CREATE INDEX IF NOT EXISTS `ix_sessions_username` ON `sessions` (`username`)"),
        SchemaMigration.Portable(7, "index user_groups by group",
            "CREATE INDEX IF NOT EXISTS `ix_user_groups_group` ON `user_groups` (`group_name`)"),
        // The audit trail (Audit/SqlAuditStore): append-only, hash-chained; seq is assigned by the writer, so two hosts that
        // race for the same number collide on the primary key and one chains again.
        Table(8, "create audit_log",
            "CREATE TABLE IF NOT EXISTS `audit_log` (`seq` BIGINT NOT NULL PRIMARY KEY, `at` BIGINT NOT NULL, `actor` VARCHAR(190) NOT NULL, " +
            "`module` VARCHAR(190) NULL, `action` VARCHAR(64) NOT NULL, `target` VARCHAR(512) NULL, `outcome` VARCHAR(64) NOT NULL, " +
            "`detail` VARCHAR(1024) NULL, `prev_hash` CHAR(64) NOT NULL, `hash` CHAR(64) NOT NULL)" + MariaDbOptions,
            "CREATE TABLE IF NOT EXISTS `audit_log` (`seq` INTEGER NOT NULL PRIMARY KEY, `at` INTEGER NOT NULL, `actor` TEXT NOT NULL, " +
            "`module` TEXT NULL, `action` TEXT NOT NULL, `target` TEXT NULL, `outcome` TEXT NOT NULL, " +
            "`detail` TEXT NULL, `prev_hash` TEXT NOT NULL, `hash` TEXT NOT NULL)"),
        SchemaMigration.Portable(9, "index audit_log by time",
            "CREATE INDEX IF NOT EXISTS `ix_audit_log_at` ON `audit_log` (`at`)"),
        Table(10, "create sso_handoff_codes",
            "CREATE TABLE IF NOT EXISTS `sso_handoff_codes` (`code_hash` VARCHAR(190) NOT NULL PRIMARY KEY, `username` VARCHAR(190) NOT NULL, " +
            "`provider` VARCHAR(190) NOT NULL, `expires_at` BIGINT NOT NULL)" + MariaDbOptions,
            "CREATE TABLE IF NOT EXISTS `sso_handoff_codes` (`code_hash` TEXT NOT NULL PRIMARY KEY, `username` TEXT NOT NULL, " +
            "`provider` TEXT NOT NULL, `expires_at` INTEGER NOT NULL)"),
        // Failed sign-ins of every host (Auth/ClusterLoginFailures): one row per failure, never a shared counter row, so hosts
        // on different Galera nodes never conflict on it; the account is a hash of its throttle key.
        Table(11, "create login_failures",
            "CREATE TABLE IF NOT EXISTS `login_failures` (`id` CHAR(32) NOT NULL PRIMARY KEY, `account` CHAR(64) NOT NULL, " +
            "`failed_at` BIGINT NOT NULL)" + MariaDbOptions,
            "CREATE TABLE IF NOT EXISTS `login_failures` (`id` TEXT NOT NULL PRIMARY KEY, `account` TEXT NOT NULL, `failed_at` INTEGER NOT NULL)"),
        SchemaMigration.Portable(12, "index login_failures by account",
            "CREATE INDEX IF NOT EXISTS `ix_login_failures_account` ON `login_failures` (`account`, `failed_at`)"),
        SchemaMigration.Portable(13, "index login_failures by time",
            "CREATE INDEX IF NOT EXISTS `ix_login_failures_failed_at` ON `login_failures` (`failed_at`)"),
    ];

    private static SchemaMigration Table(int version, string name, string mariaDb, string sqlite) => new(version, name, [mariaDb], [sqlite]);
}
