namespace FooBar.Load;

/// <summary>A running FooBar stack as visitors reach it: through nginx, whichever way it was deployed.</summary>
public interface ISite
{
    /// <summary>A client for nginx that sends <paramref name="host"/> as the Host header and never follows redirects.</summary>
    HttpClient CreateSiteClient(string host = "www.foobar.com");
}

/// <summary>The one way the tests make a visitor's client for nginx, for every kind of stack.</summary>
public static class SiteClient
{
    /// <summary>
    /// A client for nginx at <paramref name="siteAddress"/> that sends <paramref name="host"/> as the Host header and never
    /// follows redirects. Over https the Host is also the name the TLS handshake asks for (SNI) and the name the certificate
    /// must carry, checked against the machine's trusted authorities as any client does.
    /// </summary>
    public static HttpClient Create(Uri siteAddress, string host) => new(new HostHeaderHandler(host))
    {
        BaseAddress = siteAddress,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private sealed class HostHeaderHandler(string host) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Host = host;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
