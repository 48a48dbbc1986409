using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>
/// A private OpenLDAP <c>slapd</c> on loopback for tests: its own temp directory, a free port, the memberof overlay, seeded
/// with <c>ldapadd</c> (entries added offline get no memberOf). Optionally it also offers TLS (StartTLS on the ldap port and
/// an ldaps port) with a fresh self-signed certificate whose PEM sits alone in <see cref="CaCertificateDirectory"/>.
/// When slapd or ldapadd is missing the test is ignored (or fails under LYNDRIX_REQUIRE_SERVERS=1).
/// </summary>
public sealed class SlapdServer : IAsyncDisposable
{
    public const string BaseDn = "dc=example,dc=org";
    public const string AdminDn = "cn=admin,dc=example,dc=org";
    public const string AdminPassword = "slapd-admin-pw";
    public const string ServiceDn = "uid=svc,ou=people,dc=example,dc=org";
    public const string ServicePassword = "svc-Bind-pw-1";

    private static readonly string[] SlapdCandidates = ["/usr/sbin/slapd", "/usr/local/sbin/slapd", "/usr/libexec/slapd"];
    private static readonly string[] ModuleDirCandidates = ["/usr/lib/ldap", "/usr/lib/x86_64-linux-gnu/ldap", "/usr/lib/aarch64-linux-gnu/ldap", "/usr/lib64/openldap"];

    private readonly Process _process;
    private readonly StringBuilder _output;

    private SlapdServer(string directory, int port, int? ldapsPort, string? caDirectory, Process process, StringBuilder output)
    {
        Directory = directory;
        Port = port;
        LdapsPort = ldapsPort;
        CaCertificateDirectory = caDirectory;
        _process = process;
        _output = output;
    }

    public string Directory { get; }
    public int Port { get; }
    public int? LdapsPort { get; }
    public string? CaCertificateDirectory { get; }
    public Uri Url => new($"ldap://127.0.0.1:{Port}");
    public Uri? LdapsUrl => LdapsPort is { } p ? new Uri($"ldaps://127.0.0.1:{p}") : null;

    /// <summary>The base entries, the service account and the two organizational units; tests add their users.</summary>
    public static string BaseLdif => $"""
        dn: {BaseDn}
        objectClass: dcObject
        objectClass: organization
        o: Example
        dc: example

        dn: ou=people,{BaseDn}
        objectClass: organizationalUnit
        ou: people

        dn: ou=groups,{BaseDn}
        objectClass: organizationalUnit
        ou: groups

        dn: {ServiceDn}
        objectClass: inetOrgPerson
        uid: svc
        cn: Service
        sn: Service
        userPassword: {ServicePassword}

        """;

    public static async Task<SlapdServer> StartAsync(bool tls = false, CancellationToken cancellationToken = default)
    {
        var slapd = SlapdCandidates.FirstOrDefault(File.Exists);
        var moduleDir = ModuleDirCandidates.FirstOrDefault(System.IO.Directory.Exists);
        if (slapd is null || moduleDir is null)
        {
            ServerRequirement.Missing("OpenLDAP slapd", "apt-get install slapd ldap-utils");
        }

        if (Executables.Which("ldapadd") is null)
        {
            ServerRequirement.Missing("ldapadd (ldap-utils)", "apt-get install ldap-utils");
        }

        var dir = System.IO.Directory.CreateTempSubdirectory("lyndrix-slapd-").FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "data"));
        string? caDir = null;
        var tlsLines = "";
        if (tls)
        {
            caDir = Path.Combine(dir, "ca");
            System.IO.Directory.CreateDirectory(caDir);
            WriteSelfSignedCertificate(Path.Combine(dir, "cert.pem"), Path.Combine(dir, "key.pem"), Path.Combine(caDir, "slapd-ca.pem"));
            tlsLines = $"TLSCertificateFile {dir}/cert.pem\nTLSCertificateKeyFile {dir}/key.pem\n";
        }

        await File.WriteAllTextAsync(Path.Combine(dir, "slapd.conf"), $"""
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            modulepath {moduleDir}
            moduleload back_mdb
            moduleload memberof
            pidfile {dir}/slapd.pid
            {tlsLines}
            database mdb
            maxsize 10485760
            suffix "{BaseDn}"
            rootdn "{AdminDn}"
            rootpw {AdminPassword}
            directory {dir}/data
            overlay memberof
            access to attrs=userPassword by self write by anonymous auth by * none
            access to * by * read

            """, cancellationToken);

        // A port taken between probing and slapd's bind makes slapd exit; try a few times.
        for (var attempt = 0; ; attempt++)
        {
            var port = LoopbackPort.Free();
            int? ldapsPort = tls ? LoopbackPort.Free() : null;
            var urls = $"ldap://127.0.0.1:{port}/" + (ldapsPort is { } lp ? $" ldaps://127.0.0.1:{lp}/" : "");
            var output = new StringBuilder();
            var psi = new ProcessStartInfo(slapd!, ["-f", Path.Combine(dir, "slapd.conf"), "-h", urls, "-d", "0"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var process = Process.Start(psi)!;
            process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            var server = new SlapdServer(dir, port, ldapsPort, caDir, process, output);
            if (await server.WaitUntilListeningAsync(TimeSpan.FromSeconds(10), cancellationToken))
            {
                await server.AddAsync(BaseLdif, cancellationToken);
                return server;
            }

            await server.StopProcessAsync();
            if (attempt == 2)
            {
                System.IO.Directory.Delete(dir, recursive: true);
                throw new InvalidOperationException($"slapd did not start on 127.0.0.1:{port}. Its output:\n{output}");
            }
        }
    }

    /// <summary>Adds entries with <c>ldapadd</c> as the root DN, so the memberof overlay maintains memberOf.</summary>
    public async Task AddAsync(string ldif, CancellationToken cancellationToken = default)
    {
        var file = Path.Combine(Directory, $"add-{Guid.NewGuid():N}.ldif");
        await File.WriteAllTextAsync(file, ldif, cancellationToken);
        var psi = new ProcessStartInfo(Executables.Which("ldapadd")!, ["-x", "-H", Url.AbsoluteUri, "-D", AdminDn, "-w", AdminPassword, "-f", file])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ldapadd failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }

    /// <summary>An inetOrgPerson under ou=people with a plain-text password (slapd accepts it) and optional mail.</summary>
    public static string Person(string uid, string password, string? mail = null, string? displayName = null) => $"""
        dn: uid={EscapeDnValue(uid)},ou=people,{BaseDn}
        objectClass: inetOrgPerson
        uid: {uid}
        cn: {displayName ?? uid}
        sn: {uid}
        {(mail is null ? "" : $"mail: {mail}\n")}{(displayName is null ? "" : $"displayName: {displayName}\n")}userPassword: {password}

        """ + "\n";

    /// <summary>A groupOfNames under ou=groups; add it after its members so memberOf is set on them.</summary>
    public static string Group(string cn, params string[] memberUids) =>
        $"dn: cn={cn},ou=groups,{BaseDn}\nobjectClass: groupOfNames\ncn: {cn}\n" +
        string.Concat(memberUids.Select(u => $"member: uid={EscapeDnValue(u)},ou=people,{BaseDn}\n")) + "\n";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StopProcessAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
        }

        _process.Dispose();
    }

    private async Task<bool> WaitUntilListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                return false;
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(20, cancellationToken);
            }
        }

        return false;
    }

    private static string EscapeDnValue(string value)
    {
        var sb = new StringBuilder();
        foreach (var c in value)
        {
            if (c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' or '=')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    private static void WriteSelfSignedCertificate(string certPath, string keyPath, string caPath)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
        var pem = certificate.ExportCertificatePem();
        File.WriteAllText(certPath, pem);
        File.WriteAllText(caPath, pem);
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }
}
