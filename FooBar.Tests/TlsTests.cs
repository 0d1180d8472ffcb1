using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using FooBar.Hosting.Processes;
using FooBar.Load;
using FooBar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// HTTPS at nginx: the certificate from this machine's local authority (scripts/setup.sh), TLS 1.2/1.3 with forward
/// secret ciphers only, HTTP/2 by ALPN, HSTS, a renewed certificate taken by a reload, and a real scanner's verdict.
/// </summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class TlsTests(StackFixture stack, ITestOutputHelper output)
{
    private const string AuthorityFile = LocalAuthority.RootFile;

    [Theory]
    [InlineData("/")]
    [InlineData("/css/site.css")]
    [InlineData("/no-such-page")]
    public async Task Https_answers_carry_HSTS_for_a_year(string path)
    {
        using var site = stack.CreateSiteClient();

        using var response = await site.GetAsync(path);

        Assert.Equal(["max-age=31536000"], response.Headers.GetValues("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Http2_is_negotiated_by_ALPN()
    {
        using var site = stack.CreateSiteClient();
        site.DefaultRequestVersion = HttpVersion.Version20;
        site.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;

        using var response = await site.GetAsync("/journey");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
    }

    [Theory]
    [InlineData("www.foobar.com")]
    [InlineData("foobar.com")]
    [InlineData("localhost")]
    public async Task The_certificate_chains_to_this_machines_local_authority_with_the_default_checks(string name)
    {
        // No validation callback: the handshake fails unless the machine's trust store accepts the chain for this name.
        using var certificate = await ServedCertificateAsync(name);
        using var authority = X509CertificateLoader.LoadCertificateFromFile(AuthorityFile);
        using var chain = LocalAuthority.Chain(certificate, authority);

        Assert.Empty(chain.ChainStatus.Select(s => s.StatusInformation));
        Assert.Equal(authority.Thumbprint, chain.ChainElements[^1].Certificate.Thumbprint);
        Assert.False(certificate.HasPrivateKey);
    }

    [Fact]
    public async Task A_client_offering_only_ciphers_without_forward_secrecy_gets_no_connection()
    {
        // TLS 1.2 with every cipher but those of an ephemeral key exchange; TLS 1.3 has no others.
        var refused = await HostProgram.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{stack.SiteAddress.Port}",
            "-servername", "www.foobar.com", "-tls1_2", "-cipher", "ALL:COMPLEMENTOFALL:!ECDHE:!DHE:@SECLEVEL=0"], default,
            standardInput: "");
        var accepted = await HostProgram.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{stack.SiteAddress.Port}",
            "-servername", "www.foobar.com", "-tls1_2", "-cipher", "ECDHE"], default, standardInput: "");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("handshake failure", refused.Output);
        Assert.Equal(0, accepted.ExitCode);
        Assert.Contains("Cipher is ECDHE-", accepted.Output);
    }

    [Fact]
    public async Task A_renewed_certificate_is_served_after_a_reload_with_no_failed_request()
    {
        const int getsEachSide = 150;
        using var before = await ServedCertificateAsync("www.foobar.com");
        await using var load = SteadyLoad.Start(stack, maxDuration: TimeSpan.FromMinutes(2));
        await load.RunUntilAsync(getsEachSide);

        var renewal = await HostProgram.RunAsync(Path.Combine(Repository.Root, "scripts", "site-certificate.sh"), ["--renew"], default);
        Assert.True(renewal.ExitCode == 0, renewal.Output);
        await stack.App.ExecuteCommandAsync("nginx", NginxCommandExtensions.ReloadCommandName);
        using var after = await Poll.UntilAsync(() => ServedCertificateAsync("www.foobar.com"),
            served => served.SerialNumber != before.SerialNumber, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        var renewedAt = load.Elapsed();
        // As many again once the renewed certificate is served, whatever connections the reload closed.
        await load.RunUntilAsync(getsEachSide, since: renewedAt);
        var requests = await load.StopAsync();

        SteadyLoad.Report(requests, output.WriteLine);
        Assert.NotEqual(before.SerialNumber, after.SerialNumber);
        load.AssertAtLeast(gets: 2 * getsEachSide, posts: 3);
        var answeredAfter = requests.Count(r => r.Method == "GET" && r.StartedAt >= renewedAt && r.Succeeded);
        Assert.True(answeredAfter >= getsEachSide, $"only {answeredAfter} GETs were answered after the renewed certificate was served");
        Assert.All(requests, request => Assert.True(request.Succeeded, $"failed: {request}"));
    }

    [Fact]
    public async Task Testssl_finds_no_old_protocol_no_weak_cipher_and_a_chain_valid_against_the_local_authority()
    {
        var report = Path.Combine(Path.GetTempPath(), $"foobar-testssl-{Guid.NewGuid():N}.json");
        try
        {
            // Protocols, cipher categories, forward secrecy, server defaults (the certificate) and the HTTP headers.
            var scan = await HostProgram.RunAsync("testssl", ["--quiet", "--warnings", "off", "--color", "0", "--fast",
                "-p", "-s", "-f", "-S", "-h", "--add-ca", AuthorityFile, "--ip", "127.0.0.1", "--jsonfile", report,
                $"https://www.foobar.com:{stack.SiteAddress.Port}/"], default, timeout: TimeSpan.FromMinutes(4),
                whenMissing: "scripts/setup.sh --tests installs Debian's testssl.sh");
            Assert.True(File.Exists(report), scan.Output);
            output.WriteLine(scan.Output);
            var findings = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement.EnumerateArray()
                .GroupBy(f => f.GetProperty("id").GetString()!)
                .ToDictionary(g => g.Key, g => (Severity: g.First().GetProperty("severity").GetString(), Finding: g.First().GetProperty("finding").GetString()));
            string Finding(string id) => findings.TryGetValue(id, out var f) ? $"{f.Severity}: {f.Finding}" : $"({id} missing)";

            foreach (var old in new[] { "SSLv2", "SSLv3", "TLS1", "TLS1_1" })
            {
                Assert.EndsWith("not offered", Finding(old));
            }
            Assert.StartsWith("OK: offered", Finding("TLS1_2"));
            Assert.StartsWith("OK: offered", Finding("TLS1_3"));
            foreach (var weak in new[] { "cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE" })
            {
                Assert.EndsWith("not offered", Finding(weak));
            }
            Assert.Equal("OK: offered", Finding("PFS"));
            Assert.Equal("OK: h2", Finding("ALPN_HTTP2"));
            Assert.StartsWith("OK: 365 days", Finding("HSTS_time"));
            Assert.StartsWith("OK: passed", Finding("cert_chain_of_trust"));
            Assert.StartsWith("OK: Ok via SAN", Finding("cert_trust"));
        }
        finally
        {
            File.Delete(report);
        }
    }

    // The certificate nginx presents for `name` on a new connection, validated by the platform's own checks.
    private Task<X509Certificate2> ServedCertificateAsync(string name) => LocalAuthority.ServedCertificateAsync(stack.SiteAddress.Port, name);
}
