using AngleSharp.Dom;
using System.Net;
using AngleSharp.Html.Dom;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The site's pages, requested through nginx as www.foobar.com.</summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class PagesTests(StackFixture stack)
{
    [Theory]
    [InlineData("/", "www.foobar.com", "Home - FooBar")]
    [InlineData("/posts", "Posts", "Posts - FooBar")]
    [InlineData("/posts/new", "Write a post", "Write a post - FooBar")]
    [InlineData("/journey", "How this page reached you", "How this page reached you - FooBar")]
    public async Task Page_renders_in_the_site_layout(string path, string heading, string title)
    {
        using var site = stack.CreateSiteClient();

        using var response = await site.GetAsync(path);
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(heading, page.QuerySelector("main h1")?.TextContent);
        Assert.Equal(title, page.Title);
        // The layout's stylesheet is fingerprinted, so nginx may let browsers cache it for good.
        var stylesheet = page.QuerySelector("link[rel=stylesheet]")?.GetAttribute("href") ?? "";
        Assert.Matches(@"^/css/site\.css\?v=[\w-]{20,}$", stylesheet);
        Assert.Equal(["/posts", "/posts/new", "/journey", "/fortunes"],
            page.QuerySelectorAll(".site-nav a").Select(a => a.GetAttribute("href") ?? "").ToArray());
    }

    [Fact]
    public async Task Home_page_lists_the_latest_posts_newest_first()
    {
        var titles = new[] { $"Older {Guid.NewGuid():N}", $"Newer {Guid.NewGuid():N}" };
        foreach (var title in titles)
        {
            await stack.Database.InsertPostAsync(title);
        }
        using var site = stack.CreateSiteClient();

        var page = await site.GetHtmlAsync("/");

        var shown = page.QuerySelectorAll(".posts .post h3").Select(h => h.TextContent).ToList();
        Assert.Equal(Enumerable.Reverse(titles), shown.Take(2));
        Assert.True(shown.Count <= 5, $"the home page showed {shown.Count} posts");
    }

    [Fact]
    public async Task Post_page_shows_one_post_and_an_unknown_id_is_a_friendly_404()
    {
        var title = $"Shown alone {Guid.NewGuid():N}";
        var id = await stack.Database.InsertPostAsync(title, body: "first line\nsecond line");
        using var site = stack.CreateSiteClient();

        var page = await site.GetHtmlAsync($"/posts/{id}");
        using var missing = await site.GetAsync("/posts/999999999");

        Assert.Equal(title, page.QuerySelector("article h1")?.TextContent);
        Assert.Equal("first line\nsecond line", page.QuerySelector("article .post-body")?.TextContent);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("Page not found", (await missing.ReadHtmlAsync()).QuerySelector("h1")?.TextContent);
    }

    [Fact]
    public async Task Posts_are_paged_by_twenty_newest_first_and_pages_out_of_range_are_404()
    {
        // Make the last page hold exactly one post, on at least the second page.
        var total = await stack.Database.CountPostsAsync();
        while (total < 21 || total % 20 != 1)
        {
            await stack.Database.InsertPostAsync($"Filler {total}");
            total++;
        }
        var lastPage = (total + 19) / 20;
        using var site = stack.CreateSiteClient();

        var first = await site.GetHtmlAsync("/posts");
        var last = await site.GetHtmlAsync($"/posts?page={lastPage}");

        var firstIds = PostIds(first);
        Assert.Equal(20, firstIds.Count);
        Assert.Equal(firstIds.OrderDescending(), firstIds);
        Assert.Null(first.QuerySelector("a[rel=prev]"));
        Assert.Equal($"/posts?page=2", first.QuerySelector<IHtmlAnchorElement>("a[rel=next]")?.GetAttribute("href"));
        // The oldest post, the welcome post from the first migration, is alone on the last page.
        Assert.Equal([1L], PostIds(last));
        Assert.Null(last.QuerySelector("a[rel=next]"));
        Assert.Equal($"Page {lastPage} of {lastPage}", last.QuerySelector(".page-number")?.TextContent);

        foreach (var outOfRange in new[] { $"{lastPage + 1}", "0", "-1", "abc", "99999999999" })
        {
            using var response = await site.GetAsync($"/posts?page={outOfRange}");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"page={outOfRange} answered {(int)response.StatusCode}");
            Assert.Equal("Page not found", (await response.ReadHtmlAsync()).QuerySelector("h1")?.TextContent);
        }
    }

    [Theory]
    [InlineData("/no-such-page")]
    [InlineData("/posts/new/extra")]
    [InlineData("/images/no-such-image.png")]
    public async Task Unknown_address_gets_the_friendly_404_page(string path)
    {
        using var site = stack.CreateSiteClient();

        using var response = await site.GetAsync(path);
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Page not found", page.QuerySelector("h1")?.TextContent);
        Assert.NotNull(page.QuerySelector<IHtmlAnchorElement>("main a[href='/']"));
        Assert.Null(page.QuerySelector(".error-details"));
    }

    [Theory]
    [InlineData("PUT", "/posts/1", "GET, HEAD")]
    [InlineData("DELETE", "/posts", "GET, HEAD")]
    [InlineData("PATCH", "/posts/new", "GET, HEAD, POST")]
    [InlineData("FOO", "/journey", "GET, HEAD")]
    [InlineData("PROPFIND", "/", "GET, HEAD")]
    public async Task A_method_the_page_does_not_handle_gets_405_with_Allow_and_the_sites_page(string method, string path, string allow)
    {
        using var site = stack.CreateSiteClient();

        using var response = await site.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
        Assert.Equal("Method not allowed", page.QuerySelector("main h1")?.TextContent);
        Assert.Equal("Method not allowed - FooBar", page.Title);
    }

    [Theory]
    [InlineData("GET", "/Error")]
    [InlineData("GET", "/Error/500")]
    [InlineData("GET", "/Error/503")]
    [InlineData("PUT", "/Error")]
    [InlineData("POST", "/Error/500")]
    public async Task The_error_page_requested_directly_is_a_404(string method, string path)
    {
        using var site = stack.CreateSiteClient();

        using var response = await site.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Page not found", page.QuerySelector("h1")?.TextContent);
        Assert.Null(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Error_pages_show_the_trace_id_and_no_details_or_dashboard_link_to_visitors()
    {
        using var site = stack.CreateSiteClient();

        using var response = await site.GetAsync("/no-such-page");
        var html = await response.Content.ReadAsStringAsync();
        var page = await response.ReadHtmlAsync();

        Assert.Matches("^[0-9a-f]{32}$", page.QuerySelector(".trace-id")?.TextContent);
        Assert.Null(page.QuerySelector(".error-details, pre"));
        // The link into the dashboard is for a developer on the machine itself, in Development only.
        Assert.Null(page.QuerySelector(".trace-link"));
        Assert.DoesNotContain("Exception", html);
    }

    private static List<long> PostIds(IHtmlDocument page) =>
        page.QuerySelectorAll(".posts .post").Select(post => long.Parse(post.GetAttribute("data-post-id")!)).ToList();
}
