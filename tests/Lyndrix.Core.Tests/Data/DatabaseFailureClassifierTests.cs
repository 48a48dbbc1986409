using System.Net.Sockets;
using System.Security.Authentication;
using Lyndrix.Core.Data;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Tests.Data;

public sealed class DatabaseFailureClassifierTests
{
    private static readonly DatabaseSettings MariaDb = new() { Host = "db.example", Port = 3306, User = "app", Name = "lyndrix_db", SqlitePath = "" };
    private static readonly DatabaseSettings Sqlite = new() { SqlitePath = "/data/storage/lyndrix.db" };

    [TestCase(1045, "access_denied", "DB_USER")]
    [TestCase(1698, "access_denied", "DB_PASSWORD")]
    [TestCase(1044, "database_access_denied", "GRANT ALL ON `lyndrix_db`")]
    [TestCase(1049, "unknown_database", "CREATE DATABASE `lyndrix_db`")]
    [TestCase(1130, "host_not_allowed", "'app'@'%'")]
    [TestCase(1129, "host_blocked", "FLUSH HOSTS")]
    [TestCase(1251, "auth_method", "authentication method")]
    [TestCase(1820, "password_expired", "expired")]
    [TestCase(4151, "account_locked", "ACCOUNT UNLOCK")]
    public void Configuration_errors_are_permanent_and_say_what_to_fix(int code, string reason, string hint)
    {
        var failure = DatabaseFailureClassifier.FromMariaDbCode(code, MariaDb);
        Assert.Multiple(() =>
        {
            Assert.That(failure.IsPermanent, Is.True);
            Assert.That(failure.Reason, Is.EqualTo(reason));
            Assert.That(failure.Message, Does.Contain(hint).And.Contain(code.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        });
    }

    [TestCase(1040, "too_many_connections")]
    [TestCase(1203, "too_many_connections")]
    [TestCase(1053, "server_shutdown")]
    [TestCase(1205, "server_error")]
    [TestCase(1047, "cluster_not_ready")]
    [TestCase(1213, "server_error")]
    public void Load_and_shutdown_errors_are_transient(int code, string reason)
    {
        var failure = DatabaseFailureClassifier.FromMariaDbCode(code, MariaDb);
        Assert.Multiple(() =>
        {
            Assert.That(failure.IsPermanent, Is.False);
            Assert.That(failure.Reason, Is.EqualTo(reason));
        });
    }

    [TestCase(SocketError.HostNotFound, true, "host_not_found")]
    [TestCase(SocketError.NoData, true, "host_not_found")]
    [TestCase(SocketError.ConnectionRefused, false, "refused")]
    [TestCase(SocketError.TimedOut, false, "timeout")]
    [TestCase(SocketError.NetworkUnreachable, false, "network")]
    public void Socket_errors_are_classified_by_their_code(SocketError error, bool permanent, string reason)
    {
        var failure = DatabaseFailureClassifier.ClassifyMariaDb(new IOException("wrapped", new SocketException((int)error)), MariaDb)!;
        Assert.Multiple(() =>
        {
            Assert.That(failure.IsPermanent, Is.EqualTo(permanent));
            Assert.That(failure.Reason, Is.EqualTo(reason));
        });
    }

    [Test]
    public void A_rejected_server_certificate_is_permanent()
    {
        var failure = DatabaseFailureClassifier.ClassifyMariaDb(new IOException("x", new AuthenticationException("remote certificate invalid")), MariaDb)!;
        Assert.Multiple(() =>
        {
            Assert.That(failure.IsPermanent, Is.True);
            Assert.That(failure.Reason, Is.EqualTo("tls_handshake"));
            Assert.That(failure.Message, Does.Contain("DB_SSL_CA"));
        });
    }

    [Test]
    public void A_timeout_of_our_own_is_transient() =>
        Assert.That(DatabaseFailureClassifier.ClassifyMariaDb(new OperationCanceledException(), MariaDb)!.Reason, Is.EqualTo("timeout"));

    [Test]
    public void An_unknown_exception_is_transient_so_it_is_retried() =>
        Assert.That(DatabaseFailureClassifier.ClassifyMariaDb(new InvalidDataException("odd"), MariaDb)!.IsPermanent, Is.False);

    [TestCase("HostNotFound", true, "host_not_found")]
    [TestCase("DnsUnavailable", false, "dns")]
    [TestCase("Refused", false, "refused")]
    [TestCase("TimedOut", false, "timeout")]
    [TestCase("Unknown", false, "unreachable")]
    public void Probe_outcomes_are_classified(string outcome, bool permanent, string reason)
    {
        var failure = DatabaseFailureClassifier.FromProbe(new MariaDbProbeResult(Enum.Parse<MariaDbProbeOutcome>(outcome)), MariaDb);
        Assert.Multiple(() =>
        {
            Assert.That(failure.IsPermanent, Is.EqualTo(permanent));
            Assert.That(failure.Reason, Is.EqualTo(reason));
        });
    }

    [Test]
    public void A_server_without_TLS_is_permanent_only_when_TLS_is_required()
    {
        var greeting = new MariaDbProbeResult(MariaDbProbeOutcome.Greeted, ServerOffersTls: false);
        var required = DatabaseFailureClassifier.FromProbe(greeting, MariaDb with { SslMode = DatabaseSslMode.Required });
        var preferred = DatabaseFailureClassifier.FromProbe(greeting, MariaDb with { SslMode = DatabaseSslMode.Preferred });
        var offered = DatabaseFailureClassifier.FromProbe(greeting with { ServerOffersTls = true }, MariaDb with { SslMode = DatabaseSslMode.Required });
        Assert.Multiple(() =>
        {
            Assert.That(required.IsPermanent, Is.True);
            Assert.That(required.Reason, Is.EqualTo("tls_not_offered"));
            Assert.That(required.Message, Does.Contain("DB_SSL_MODE=required"));
            Assert.That(preferred.IsPermanent, Is.False);
            Assert.That(offered.IsPermanent, Is.False);
        });
    }

    [Test]
    public void An_error_packet_in_the_greeting_is_classified_by_its_code() =>
        Assert.That(DatabaseFailureClassifier.FromProbe(new MariaDbProbeResult(MariaDbProbeOutcome.ServerError, ServerErrorCode: 1130), MariaDb).Reason,
            Is.EqualTo("host_not_allowed"));

    [TestCase(5, false, "busy")]
    [TestCase(6, false, "busy")]
    [TestCase(14, true, "storage_cannot_open")]
    [TestCase(8, true, "storage_not_writable")]
    [TestCase(26, true, "storage_corrupt")]
    [TestCase(11, true, "storage_corrupt")]
    [TestCase(13, false, "disk_full")]
    public void SQLite_errors_are_classified_by_their_code(int code, bool permanent, string reason)
    {
        var failure = DatabaseFailureClassifier.ClassifySqlite(new SqliteException("x", code), Sqlite);
        Assert.Multiple(() =>
        {
            Assert.That(failure.IsPermanent, Is.EqualTo(permanent));
            Assert.That(failure.Reason, Is.EqualTo(reason));
            Assert.That(failure.Message, Does.Contain("/data/storage/lyndrix.db"));
        });
    }

    [Test]
    public void An_unwritable_storage_directory_is_permanent()
    {
        var failure = DatabaseFailureClassifier.ClassifySqlite(new UnauthorizedAccessException("denied"), Sqlite);
        Assert.Multiple(() =>
        {
            Assert.That(failure.IsPermanent, Is.True);
            Assert.That(failure.Message, Does.Contain("STORAGE_DIR"));
        });
    }
}
