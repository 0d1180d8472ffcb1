using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// This machine's local certificate authority (scripts/setup.sh) as a client meets it: the certificate a port serves
/// for a name, validated as any client validates it (no callback), and its chain built up to the authority's root.
/// </summary>
public static class LocalAuthority
{
    /// <summary>The authority's root certificate.</summary>
    public const string RootFile = "/etc/foobar/ca/rootCA.pem";

    /// <summary>The site's certificate and key as setup issues them (scripts/site-certificate.sh).</summary>
    public const string SiteCertificateFile = "/etc/foobar/tls/www.foobar.com.pem";

    /// <summary>
    /// The certificate served on loopback at <paramref name="port"/> for <paramref name="name"/> (SNI). No validation
    /// callback: the handshake fails unless the machine's trust store accepts the chain for this name.
    /// </summary>
    public static async Task<X509Certificate2> ServedCertificateAsync(int port, string name)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = name });
        return new X509Certificate2(tls.RemoteCertificate!);
    }

    /// <summary>The chain of <paramref name="certificate"/> with the authority's root as the only trusted one; its status says why not.</summary>
    public static X509Chain Chain(X509Certificate2 certificate, X509Certificate2 root)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.Build(certificate);
        return chain;
    }
}
