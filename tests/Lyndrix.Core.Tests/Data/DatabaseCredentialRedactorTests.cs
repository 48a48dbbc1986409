using Lyndrix.Core.Data;

namespace Lyndrix.Core.Tests.Data;

public sealed class DatabaseCredentialRedactorTests
{
    private readonly DatabaseCredentialRedactor _redactor = new();

    [TestCase("mysql+pymysql://admin:secret@db/lyndrix_db", "mysql+pymysql://***:***@db/lyndrix_db")]
    [TestCase("failed: mysql://admin:p@ss:w0rd@db:3306/x (timeout)", "failed: mysql://***:***@db:3306/x (timeout)")]
    [TestCase("Server=db;User ID=app;Password=hunter2;Database=x", "Server=db;User ID=app;Password=***;Database=x")]
    [TestCase("server=db;pwd = hunter2 ;database=x", "server=db;pwd =***;database=x")]
    [TestCase("Password=\"a;b\"\"c\";Database=x", "Password=***;Database=x")]
    [TestCase("Password='a;b''c';Database=x", "Password=***;Database=x")]
    [TestCase("DB_PASSWORD=hunter2", "DB_PASSWORD=***")]
    [TestCase("{\"db_password\": \"hun\\\"ter2\", \"user\": \"app\"}", "{\"db_password\": \"***\", \"user\": \"app\"}")]
    public void Credential_forms_are_masked(string text, string expected) => Assert.That(_redactor.Redact(text), Is.EqualTo(expected));

    [Test]
    public void Text_without_credentials_is_unchanged()
    {
        const string text = "Access denied for user 'app'@'10.0.0.1' (using password: YES); see https://mariadb.com/kb/";
        Assert.That(_redactor.Redact(text), Is.EqualTo(text));
    }

    [Test]
    public void The_configured_password_is_masked_wherever_it_appears_also_url_encoded()
    {
        _redactor.AddSecret("p@ss w/rd");
        var text = _redactor.Redact("tried p@ss w/rd and p%40ss%20w%2Frd and again p@ss w/rd.");
        Assert.Multiple(() =>
        {
            Assert.That(text, Is.EqualTo("tried *** and *** and again ***."));
            Assert.That(text, Does.Not.Contain("p@ss"));
        });
    }

    [Test]
    public void A_longer_secret_that_contains_a_shorter_one_is_masked_whole()
    {
        _redactor.AddSecret("abc");
        _redactor.AddSecret("xxabcxx");
        Assert.That(_redactor.Redact("value xxabcxx"), Is.EqualTo("value ***"));
    }

    [Test]
    public void Describing_an_exception_masks_every_message_of_the_chain_and_names_codes()
    {
        _redactor.AddSecret("T0p-Secret");
        var ex = new InvalidOperationException("outer T0p-Secret", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));
        var text = _redactor.Describe(ex);
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Not.Contain("T0p-Secret"));
            Assert.That(text, Does.Contain("InvalidOperationException: outer ***"));
            Assert.That(text, Does.Contain("SocketException (socket ConnectionRefused)"));
        });
    }

    [Test]
    public void Null_and_empty_are_handled()
    {
        _redactor.AddSecret("");
        _redactor.AddSecret(null);
        Assert.Multiple(() =>
        {
            Assert.That(_redactor.Redact(null), Is.EqualTo(""));
            Assert.That(_redactor.Redact("plain"), Is.EqualTo("plain"));
        });
    }
}
