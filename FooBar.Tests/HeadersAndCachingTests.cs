using AngleSharp.Dom;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using AngleSharp.Html.Dom;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>Headers and caching: what nginx adds to every answer (caching, compression, security headers) and its header limits.</summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class HeadersAndCachingTests(StackFixture stack)
{
    [Fact]
    public async Task Fingerprinted_assets_are_cached_for_a_year_and_immutable_others_briefly()
    {
        using var site = stack.CreateSiteClient();
        var home = await site.GetHtmlAsync("/");
        var fingerprinted = home.QuerySelector("link[rel=stylesheet]")?.GetAttribute("href");
        Assert.NotNull(fingerprinted);

        using var versioned = await site.GetAsync(fingerprinted);
        using var plain = await site.GetAsync("/css/site.css");

        Assert.Equal(HttpStatusCode.OK, versioned.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", versioned.Headers.CacheControl?.ToString());
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal("public, max-age=300", plain.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("/css/site.css", "text/css")]
    [InlineData("/js/journey.js", "application/javascript")]
    [InlineData("/images/foobar.svg", "image/svg+xml")]
    public async Task Text_files_are_gzipped_when_the_client_asks(string path, string mediaType)
    {
        using var site = stack.CreateSiteClient();
        var onDisk = await File.ReadAllBytesAsync(Path.Combine(Repository.Root, "FooBar.Web", "wwwroot", path.TrimStart('/')));
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        using var compressed = await site.SendAsync(request);
        using var identity = await site.GetAsync(path);

        Assert.Equal(mediaType, compressed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["gzip"], compressed.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", compressed.Headers.Vary);
        await using var gzip = new GZipStream(await compressed.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        using var unzipped = new MemoryStream();
        await gzip.CopyToAsync(unzipped);
        Assert.Equal(onDisk, unzipped.ToArray());
        // A client that does not ask gets the file as it is.
        Assert.Empty(identity.Content.Headers.ContentEncoding);
        Assert.Equal(onDisk, await identity.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Pages_from_the_app_are_gzipped_too()
    {
        using var site = stack.CreateSiteClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/posts");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        using var response = await site.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/css/site.css")]
    [InlineData("/no-such-page")]
    public async Task Every_answer_carries_the_security_headers_and_no_server_version(string path)
    {
        using var site = stack.CreateSiteClient();

        using var response = await site.GetAsync(path);

        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy"));
        var csp = Header(response, "Content-Security-Policy");
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("nginx", response.Headers.Server.ToString());
    }

    [Fact]
    public async Task Pages_need_nothing_the_content_security_policy_forbids()
    {
        // The policy allows only the site's own files: no inline scripts or styles, no other origins.
        using var site = stack.CreateSiteClient();
        foreach (var path in new[] { "/", "/posts", "/posts/new", "/journey", "/posts/1" })
        {
            var page = await site.GetHtmlAsync(path);
            Assert.Empty(page.QuerySelectorAll("script:not([src]), style, [style]"));
            Assert.All(page.QuerySelectorAll("script[src], link[href], img[src]"),
                element => Assert.StartsWith("/", element.GetAttribute("src") ?? element.GetAttribute("href")));
        }
    }

    [Fact]
    public async Task Request_headers_over_nginx_limit_get_431_with_the_sites_page()
    {
        using var site = stack.CreateSiteClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/journey");
        // Host first, as browsers send it: nginx picks the site (and its error page) by then.
        request.Headers.Host = "www.foobar.com";
        // 40 KB in all, over nginx's 32 KB: nginx refuses it before the app sees it.
        for (var i = 0; i < 40; i++)
        {
            request.Headers.Add($"X-Padding-{i}", new string('x', 1000));
        }

        using var response = await site.SendAsync(request);
        var page = await response.ReadHtmlAsync();

        Assert.Equal((HttpStatusCode)431, response.StatusCode);
        Assert.Equal("Request headers too large", page.QuerySelector("h1")?.TextContent);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
    }

    [Fact]
    public async Task Many_small_headers_within_nginx_limit_reach_the_app_instead_of_an_empty_431()
    {
        using var site = stack.CreateSiteClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/journey");
        // Kestrel's default is 100 headers, and nginx adds its own: 150 used to end in Kestrel's empty 431.
        for (var i = 0; i < 150; i++)
        {
            request.Headers.Add($"X-Header-{i}", "1");
        }

        using var response = await site.SendAsync(request);
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("How this page reached you", page.QuerySelector("main h1")?.TextContent);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";
}
