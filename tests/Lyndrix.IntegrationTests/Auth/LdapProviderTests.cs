using Lyndrix.Core.Auth;
using Lyndrix.Core.Configuration;
using Lyndrix.IntegrationTests.Support;
using Lyndrix.Plugins.Ldap;
using Lyndrix.Sdk;

namespace Lyndrix.IntegrationTests.Auth;

/// <summary>The LDAP provider against a real slapd on loopback, driven through its module and the provider chain.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class LdapProviderTests
{
    private const string AlicePassword = "Alice-pw-42";
    private const string BobPassword = "Bob-pw-42";
    private const string OddPassword = "Odd-pw-42";
    private const string OddUid = "star*(odd)";

    private static SlapdServer? s_server;

    private readonly ListLogger _log = new();

    [OneTimeSetUp]
    public static async Task StartServer()
    {
        s_server = await SlapdServer.StartAsync(tls: true);
        await s_server.AddAsync(SlapdServer.Person("alice", AlicePassword, "alice@example.org", "Alice Liddell") +
                                SlapdServer.Person("bob", BobPassword) +
                                SlapdServer.Person(OddUid, OddPassword) +
                                SlapdServer.Group("admins", "alice") +
                                SlapdServer.Group("staff", "alice", "bob"));
    }

    [OneTimeTearDown]
    public static async Task StopServer()
    {
        if (s_server is not null)
        {
            await s_server.DisposeAsync();
        }
    }

    private static SlapdServer Server => s_server!;

    private static (string, string)[] Env(params (string, string)[] extra) =>
    [
        ("LYNDRIX_LDAP_URL", Server.Url.AbsoluteUri.TrimEnd('/')), ("LYNDRIX_LDAP_BIND_DN", SlapdServer.ServiceDn),
        ("LYNDRIX_LDAP_BIND_PASSWORD", SlapdServer.ServicePassword), ("LYNDRIX_LDAP_BASE_DN", SlapdServer.BaseDn),
        ("LYNDRIX_LDAP_ROLE_MAPPING", $"{{\"cn=admins,ou=groups,{SlapdServer.BaseDn}\": [\"admin\"], \"CN=Staff, OU=Groups, DC=example, DC=org\": [\"staff\"]}}"),
        ("LYNDRIX_LDAP_TIMEOUT", "5"), .. extra,
    ];

    private static AuthSettings Settings(params (string Name, string Value)[] env) =>
        AuthSettings.Load(new EnvironmentConfigSource(env.GroupBy(e => e.Name).ToDictionary(g => g.Key, g => g.Last().Value)), Path.GetTempPath());

    private async Task<(LdapModule Module, AuthProviderRegistry Registry, TestModuleContext Context)> SetUpModuleAsync(AuthSettings settings,
        Action<TestModuleContext>? prepare = null)
    {
        var registry = new AuthProviderRegistry();
        var context = TestModuleContext.ForFirstParty(FirstPartyAuthModules.LdapModuleId, settings, registry, _log);
        prepare?.Invoke(context);
        var module = new LdapModule();
        await module.SetupAsync(context, CancellationToken.None);
        return (module, registry, context);
    }

    private async Task<Sdk.Auth.AuthResult?> LoginAsync(string username, string password, params (string, string)[] extra)
    {
        var (module, _, _) = await SetUpModuleAsync(Settings(Env(extra)));
        return await module.Provider!.AuthenticateAsync(username, password, CancellationToken.None);
    }

    [Test]
    public async Task GoodPasswordSignsInWithDirectoryAttributesAndMappedRoles()
    {
        var result = await LoginAsync("alice", AlicePassword);
        Assert.That(result, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(result!.Username, Is.EqualTo("alice"));
            Assert.That(result.Provider, Is.EqualTo("ldap"));
            Assert.That(result.FullName, Is.EqualTo("Alice Liddell"));
            Assert.That(result.Email, Is.EqualTo("alice@example.org"));
            Assert.That(result.EmailVerified, Is.True);
            Assert.That(result.Roles, Is.EquivalentTo(new[] { "user", "admin", "staff" }));
            Assert.That(result.ProviderUserId, Is.EqualTo($"uid=alice,ou=people,{SlapdServer.BaseDn}"));
        });
    }

    [Test]
    public async Task UserWithoutMappedGroupsGetsTheDefaultRoles()
    {
        var result = await LoginAsync("bob", BobPassword, ("LYNDRIX_LDAP_DEFAULT_ROLES", "reader, user"));
        Assert.That(result!.Roles, Is.EquivalentTo(new[] { "reader", "user", "staff" }));
        Assert.That(result.EmailVerified, Is.False);
    }

    [Test]
    public async Task WrongPasswordUnknownUserAndEmptyPasswordAreRefused()
    {
        Assert.That(await LoginAsync("alice", "not-her-password"), Is.Null);
        Assert.That(await LoginAsync("mallory", AlicePassword), Is.Null);
        Assert.That(await LoginAsync("alice", ""), Is.Null);
    }

    [TestCase("*")]
    [TestCase("al*")]
    [TestCase("*)(uid=*")]
    [TestCase("admin)(|(uid=*")]
    [TestCase("alice)(|(objectClass=*")]
    [TestCase("*))(|(uid=*")]
    [TestCase("alice\0")]
    [TestCase("\\2a")]
    public async Task FilterInjectionInTheUserNameMatchesNobody(string username)
    {
        // With alice's real password: an unescaped wildcard or OR would find her entry and the bind would succeed.
        Assert.That(await LoginAsync(username, AlicePassword), Is.Null);
        Assert.That(await LoginAsync(username, AlicePassword, ("LYNDRIX_LDAP_USER_FILTER", "(&(objectClass=inetOrgPerson)(uid={username}))")), Is.Null);
    }

    [Test]
    public async Task SpecialCharactersInARealUserNameStillMatchLiterally()
    {
        var result = await LoginAsync(OddUid, OddPassword);
        Assert.That(result?.Username, Is.EqualTo(OddUid));
    }

    [Test]
    public void EscapingFollowsRfc4515()
    {
        Assert.That(LdapFilter.Escape("a*b(c)d\\e\0f"), Is.EqualTo("a\\2ab\\28c\\29d\\5ce\\00f"));
        Assert.That(LdapFilter.Escape("jürgen"), Is.EqualTo("j\\c3\\bcrgen"));
        Assert.That(LdapFilter.Build("(uid={username})", "*)(uid=*"), Is.EqualTo("(uid=\\2a\\29\\28uid=\\2a)"));
    }

    [Test]
    public async Task AWrongServicePasswordFailsWithHelpThroughTheChainWithoutLeakingPasswords()
    {
        var settings = Settings(Env(("LYNDRIX_LDAP_BIND_PASSWORD", "Wrong-Service-pw"), ("LYNDRIX_AUTH_PROVIDERS", "ldap")));
        var (_, registry, _) = await SetUpModuleAsync(settings);
        var chain = new AuthProviderChain(registry, new AuthChainConfiguration(settings), settings, new ListLogger<AuthProviderChain>(_log));

        var result = await chain.AuthenticateAsync("alice", AlicePassword, CancellationToken.None);

        Assert.That(result.Identity, Is.Null);
        Assert.That(result.Failed, Is.EqualTo(new[] { "ldap" }));
        Assert.That(_log.AllText, Does.Contain("refused the service account"));
        Assert.That(_log.AllText, Does.Not.Contain(AlicePassword).And.Not.Contain("Wrong-Service-pw"));
    }

    [Test]
    public async Task AnUnreachableServerFailsWithHelp()
    {
        var (module, _, _) = await SetUpModuleAsync(Settings(Env(("LYNDRIX_LDAP_URL", "ldap://127.0.0.1:1"))));
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => module.Provider!.AuthenticateAsync("alice", AlicePassword, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("could not be used").And.Contain("127.0.0.1:1"));
    }

    [Test]
    public async Task TheChainUsesLdapOnlyWhenListed()
    {
        var listed = Settings(Env(("LYNDRIX_AUTH_PROVIDERS", "ldap")));
        var (_, registry, _) = await SetUpModuleAsync(listed);
        var chain = new AuthProviderChain(registry, new AuthChainConfiguration(listed), listed, new ListLogger<AuthProviderChain>(_log));
        Assert.That((await chain.AuthenticateAsync("alice", AlicePassword, CancellationToken.None)).Identity?.Provider, Is.EqualTo("ldap"));

        var unlisted = Settings(Env());
        chain = new AuthProviderChain(registry, new AuthChainConfiguration(unlisted), unlisted, new ListLogger<AuthProviderChain>(_log));
        Assert.That((await chain.AuthenticateAsync("alice", AlicePassword, CancellationToken.None)).Identity, Is.Null);
    }

    [Test]
    public async Task TheBindPasswordMayComeFromTheSecretStore()
    {
        var env = Env().Where(e => e.Item1 != "LYNDRIX_LDAP_BIND_PASSWORD").ToArray();
        var (module, _, _) = await SetUpModuleAsync(Settings(env), c => c.Secrets["bind_password"] = SlapdServer.ServicePassword);
        Assert.That(module.Provider!.IsConfigured, Is.True);
        Assert.That(await module.Provider.AuthenticateAsync("alice", AlicePassword, CancellationToken.None), Is.Not.Null);

        var (sealedModule, _, _) = await SetUpModuleAsync(Settings(env), c => c.SecretStoreSealed = true);
        Assert.That(sealedModule.Provider!.IsConfigured, Is.False);
        Assert.That(_log.AllText, Does.Contain("could not be read from the secret store"));
    }

    [Test]
    public async Task StartTlsWorksWhenTheCaIsTrustedAndFailsWithHelpWhenNot()
    {
        Assert.That(await LoginAsync("alice", AlicePassword, ("LYNDRIX_LDAP_START_TLS", "true"),
            ("LYNDRIX_LDAP_CA_CERT_DIR", Server.CaCertificateDirectory!)), Is.Not.Null);

        var (module, _, _) = await SetUpModuleAsync(Settings(Env(("LYNDRIX_LDAP_START_TLS", "true"))));
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => module.Provider!.AuthenticateAsync("alice", AlicePassword, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("StartTLS").And.Contain("LYNDRIX_LDAP_CA_CERT_DIR"));
    }

    [Test]
    public async Task LdapsWorksWhenTheCaIsTrusted()
    {
        Assert.That(await LoginAsync("alice", AlicePassword, ("LYNDRIX_LDAP_URL", Server.LdapsUrl!.AbsoluteUri.TrimEnd('/')),
            ("LYNDRIX_LDAP_CA_CERT_DIR", Server.CaCertificateDirectory!)), Is.Not.Null);
    }

    [Test]
    public void APluginCannotRegisterTheLdapId()
    {
        var registry = new AuthProviderRegistry();
        var manifest = new ModuleManifest { Id = "evil.plugin", Name = "evil", Version = "1.0.0" };
        var context = new TestModuleContext(manifest, new Dictionary<string, string?>(), registry, _log);
        Assert.ThrowsAsync<ModulePermissionDeniedException>(() => new LdapModule().SetupAsync(context, CancellationToken.None));
        Assert.That(registry.All, Is.Empty);
    }
}
