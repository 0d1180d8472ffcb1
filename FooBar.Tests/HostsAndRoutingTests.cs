using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// Hosts and routing: which hosts nginx serves, what it answers itself (static files, redirects, refusals) and what it
/// forwards to the app, and how the app sees the visitor behind it.
/// </summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class HostsAndRoutingTests(StackFixture stack)
{
    [Fact]
    public async Task Nginx_forwards_pages_to_the_app_over_its_Unix_socket()
    {
        using var site = stack.CreateSiteClient("www.foobar.com");

        using var response = await site.GetAsync("/journey");
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The socket nginx's upstream names, in the folder the AppHost shares with the nginx container (foobar-<its pid>-web-…).
        Assert.Matches("^unix:/.+/foobar-[0-9]+-web-[0-9a-f]+/http\\.sock$", page.QuerySelector(".journey-app-address")?.TextContent);
    }

    [Fact]
    public async Task App_sees_the_visitor_as_nginx_saw_them_not_as_the_client_claims()
    {
        // A visitor from another loopback address than the AppHost's: nginx, in the host's network, sees it as it is (no NAT).
        var visitor = IPAddress.Parse("127.0.0.2");
        using var site = SourceAddressClient.Create(visitor, stack.SiteAddress);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = "www.foobar.com";
        // A client may claim any address; nginx appends the one it really saw, and the app trusts only that hop.
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");

        using var response = await site.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(@"<span class=""request-host"">www.foobar.com</span>", html);
        Assert.Contains(@"<span class=""request-scheme"">https</span>", html);
        var clientAddress = Assert.Single(Regex.Matches(html, @"<span class=""client-address"">([^<]*)</span>")).Groups[1].Value;
        // Not the claim, not a gateway's address, not the app's own peer: the visitor's.
        Assert.Equal(visitor.ToString(), clientAddress);
    }

    [Fact]
    public async Task Static_file_is_sent_by_nginx_itself()
    {
        using var site = stack.CreateSiteClient();
        using var web = stack.CreateWebClient();
        var onDisk = await File.ReadAllBytesAsync(Path.Combine(Repository.Root, "FooBar.Web", "wwwroot", "css", "site.css"));

        using var throughNginx = await site.GetAsync("/css/site.css");
        using var fromApp = await web.GetAsync("/css/site.css");

        Assert.Equal(HttpStatusCode.OK, throughNginx.StatusCode);
        Assert.Equal("text/css", throughNginx.Content.Headers.ContentType?.MediaType);
        Assert.Equal(onDisk, await throughNginx.Content.ReadAsByteArrayAsync());
        // The app has no static-file middleware: had nginx forwarded the request, the answer would be this 404.
        Assert.Equal(HttpStatusCode.NotFound, fromApp.StatusCode);
    }

    [Fact]
    public async Task Bare_domain_redirects_permanently_to_www_keeping_path_and_query()
    {
        using var site = stack.CreateSiteClient("foobar.com");

        using var response = await site.GetAsync("/posts?page=2");

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal(new Uri($"https://www.foobar.com:{stack.SiteAddress.Port}/posts?page=2"), response.Headers.Location);
    }

    [Theory]
    [InlineData("www.foobar.com", "/posts?page=2&sort=new")]
    [InlineData("www.foobar.com", "/journey")]
    [InlineData("localhost", "/css/site.css?v=1")]
    [InlineData("www.foobar.com", "/health")]
    public async Task Plain_http_redirects_permanently_to_https_keeping_host_path_and_query(string host, string target)
    {
        using var http = SiteClient.Create(stack.SiteHttpAddress, host);

        using var response = await http.GetAsync(target);

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal(new Uri($"https://{host}:{stack.SiteAddress.Port}{target}"), response.Headers.Location);
        // Nothing of the site over plain HTTP: no HSTS either (a browser ignores it there).
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Bare_domain_over_plain_http_goes_to_https_www_in_one_redirect()
    {
        using var http = SiteClient.Create(stack.SiteHttpAddress, "foobar.com");

        using var response = await http.GetAsync("/posts?page=2");

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal(new Uri($"https://www.foobar.com:{stack.SiteAddress.Port}/posts?page=2"), response.Headers.Location);
    }

    [Theory]
    [InlineData("www.foobar.com", "https://www.foobar.com:{0}/posts?page=2")]
    [InlineData("localhost", "https://localhost:{0}/posts?page=2")]
    [InlineData("foobar.com", "https://www.foobar.com:{0}/posts?page=2")]
    public async Task Plain_http_on_the_https_port_redirects_to_https_not_to_nginx_s_own_page(string host, string location)
    {
        var plainToHttpsPort = new UriBuilder(stack.SiteAddress) { Scheme = Uri.UriSchemeHttp }.Uri;

        var response = await RawHttp.SendAsync(plainToHttpsPort, RawHttp.Build("GET /posts?page=2 HTTP/1.1", [("Host", host)]), TimeSpan.FromSeconds(10));

        Assert.Equal(301, response.Status);
        Assert.Equal(string.Format(location, stack.SiteAddress.Port), response.Header("Location"));
        Assert.DoesNotContain("The plain HTTP request was sent to HTTPS port", response.Body);
    }

    [Fact]
    public async Task Plain_http_on_the_https_port_for_an_unknown_host_is_closed_without_an_answer()
    {
        var plainToHttpsPort = new UriBuilder(stack.SiteAddress) { Scheme = Uri.UriSchemeHttp }.Uri;

        var response = await RawHttp.SendAsync(plainToHttpsPort, RawHttp.Build("GET / HTTP/1.1", [("Host", "evil.example")]), TimeSpan.FromSeconds(10));

        Assert.Null(response.Status);
        Assert.Equal("", response.Body);
    }

    [Fact]
    public async Task Nginx_health_endpoint_answers_over_plain_http_without_a_redirect()
    {
        using var http = SiteClient.Create(stack.SiteHttpAddress, "www.foobar.com");

        using var response = await http.GetAsync("/nginx/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Forged_forwarded_headers_change_nothing_the_app_knows()
    {
        using var site = stack.CreateSiteClient();

        var (honest, forged) = await ForgedForwardedHeaders.AssertChangeNothingAsync(site, ("X-Front-Door", "forged"));

        Assert.Equal(ForgedForwardedHeaders.Text(honest, ".journey-front-door"), ForgedForwardedHeaders.Text(forged, ".journey-front-door"));
        Assert.DoesNotContain("forged", forged.Body?.TextContent);
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("www.foobar.com.evil.example")]
    public async Task Unknown_host_is_refused_without_an_answer(string host)
    {
        // Over TLS for www.foobar.com (its certificate checked), then a Host nginx does not serve.
        var request = RawHttp.Build("GET / HTTP/1.1", [("Host", host)]);
        using var http = SiteClient.Create(stack.SiteHttpAddress, host);

        var response = await RawHttp.SendAsync(stack.SiteAddress, request, TimeSpan.FromSeconds(10));

        // nginx's 444: the connection is closed and no response is ever written, over HTTPS and over HTTP alike.
        Assert.Null(response.Status);
        Assert.Equal("", response.Body);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/"));
        Assert.Null(error.StatusCode);
    }

    [Fact]
    public async Task Absolute_form_request_is_served_for_the_host_in_the_request_line_not_the_Host_header()
    {
        // HttpClient never sends absolute form to a server, so the request goes over a plain socket.
        var request = RawHttp.Build("GET http://www.foobar.com/journey HTTP/1.1", [("Host", "evil.example")]);

        var response = await RawHttp.SendAsync(stack.SiteAddress, request, TimeSpan.FromSeconds(10));

        Assert.Equal(200, response.Status);
        // nginx matched www.foobar.com from the request line and passes that host on, not the header's.
        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(response.Body);
        Assert.Equal("www.foobar.com", page.QuerySelector(".journey-host")?.TextContent.Trim());
        Assert.DoesNotContain("evil.example", response.Body);
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("www.foobar.com.evil.example")]
    public async Task App_refuses_a_host_it_does_not_serve_with_400_and_no_details(string host)
    {
        // Straight to the app: nginx never forwards such a host, so this is the app's own guard.
        using var web = stack.CreateWebClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/journey");
        request.Headers.Host = host;

        using var response = await web.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("Exception", body);
        Assert.DoesNotContain(" at ", body);
        Assert.DoesNotContain(host, body);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    [InlineData("/HEALTH")]
    public async Task Health_endpoints_are_not_public(string path)
    {
        using var site = stack.CreateSiteClient();
        using var web = stack.CreateWebClient();

        using var throughNginx = await site.GetAsync(path);
        using var fromApp = await web.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, throughNginx.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromApp.StatusCode);
    }
}
