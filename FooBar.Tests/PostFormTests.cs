using System.Net;
using System.Text;
using FooBar.Tests.Infrastructure;
using static FooBar.Load.PostForm;

namespace FooBar.Tests;

/// <summary>The /posts/new form, submitted through nginx as a browser would.</summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class PostFormTests(StackFixture stack)
{
    [Fact]
    public async Task A_valid_post_is_stored_trimmed_and_shown_after_a_redirect()
    {
        var title = $"Round trip {Guid.NewGuid():N}";
        using var site = stack.CreateSiteClient();

        using var response = await site.SubmitFormAsync("/posts/new", Fields("  Ann  ", $"  {title}  ", "  Hello\nthere  "));

        // Post/Redirect/Get: the answer to the POST is a redirect to the new post's own page.
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location?.OriginalString ?? "";
        Assert.Matches(@"^/posts/\d+$", location);
        var id = long.Parse(location["/posts/".Length..]);
        Assert.Equal(("Ann", title, "Hello\nthere"), await StoredAsync(id));

        var page = await site.GetHtmlAsync(location);
        Assert.Equal(title, page.QuerySelector("article h1")?.TextContent);
        Assert.Equal("Ann", page.QuerySelector("article .author")?.TextContent);
        var list = await site.GetHtmlAsync("/posts");
        Assert.Equal(title, list.QuerySelector(".posts .post h3")?.TextContent);
    }

    [Fact]
    public async Task Invalid_input_is_shown_again_with_an_error_next_to_each_field_and_nothing_is_stored()
    {
        var tooLongTitle = $"Too long {Guid.NewGuid():N} " + new string('x', 120);
        using var site = stack.CreateSiteClient();

        using var response = await site.SubmitFormAsync("/posts/new", Fields(author: "", title: tooLongTitle, body: "   "));
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Say who you are.", FieldError(page, "Input.Author"));
        Assert.Equal("Keep the title to 120 characters.", FieldError(page, "Input.Title"));
        Assert.Equal("Write something.", FieldError(page, "Input.Body"));
        // What the visitor typed is kept, so they can fix it rather than start again.
        Assert.Equal(tooLongTitle, page.QuerySelector("input[name='Input.Title']")?.GetAttribute("value"));
        Assert.Equal(0, await stack.Database.CountPostsAsync(tooLongTitle));
    }

    [Fact]
    public async Task The_same_form_posted_twice_is_stored_once_and_both_answers_redirect_to_that_post()
    {
        var title = $"Pressed twice {Guid.NewGuid():N}";
        using var site = stack.CreateSiteClient();
        var form = (await site.GetHtmlAsync("/posts/new")).HiddenInputs();
        Assert.Matches("^[A-Za-z0-9_-]{22}$", form[KeyField]);

        // A second press of the button, or the app's retry on another database node: the same form, key and text.
        using var first = await site.PostAsync("/posts/new", Filled(form, Fields("Ann", title, "once")));
        using var second = await site.PostAsync("/posts/new", Filled(form, Fields("Ann", title, "once")));

        var id = WrittenPostId(first);
        Assert.Equal(id, WrittenPostId(second));
        Assert.Equal(1, await stack.Database.CountPostsAsync(title));
        Assert.Equal(("Ann", title, "once"), await StoredAsync(id));
    }

    [Fact]
    public async Task A_different_text_under_a_stored_key_is_answered_with_the_post_stored_first()
    {
        var title = $"Key wins {Guid.NewGuid():N}";
        var otherTitle = $"Same key, other text {Guid.NewGuid():N}";
        using var site = stack.CreateSiteClient();
        var form = (await site.GetHtmlAsync("/posts/new")).HiddenInputs();

        using var first = await site.PostAsync("/posts/new", Filled(form, Fields("Ann", title, "first")));
        using var second = await site.PostAsync("/posts/new", Filled(form, Fields("Eve", otherTitle, "second")));

        Assert.Equal(WrittenPostId(first), WrittenPostId(second));
        Assert.Equal(("Ann", title, "first"), await StoredAsync(WrittenPostId(first)));
        Assert.Equal(0, await stack.Database.CountPostsAsync(otherTitle));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-key")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAB")]  // 22 characters whose last bits are not zero: a second spelling of a key
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("AAAAAAAAAAAAAAAAAAAA+/")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAA AAAAAAAAAA")]
    public async Task A_post_with_a_missing_or_malformed_key_gets_400_with_the_form_and_text_kept_and_nothing_stored(string? key)
    {
        var title = $"Bad key {Guid.NewGuid():N}";
        using var site = stack.CreateSiteClient();
        var form = (await site.GetHtmlAsync("/posts/new")).HiddenInputs();
        form.Remove(KeyField);
        if (key is not null)
        {
            form[KeyField] = key;
        }

        using var response = await site.PostAsync("/posts/new", Filled(form, Fields("Ann", title, "keep this text")));
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Write a post", page.QuerySelector("main h1")?.TextContent);
        Assert.Contains("nothing was published", page.QuerySelector(".form-errors")?.TextContent);
        Assert.Equal(title, page.QuerySelector("input[name='Input.Title']")?.GetAttribute("value"));
        Assert.Equal("keep this text", page.QuerySelector("textarea[name='Input.Body']")?.TextContent.Trim());
        // A new key, so publishing again from this page stores the post.
        Assert.Matches("^[A-Za-z0-9_-]{22}$", page.HiddenInputs()[KeyField]);
        Assert.Equal(0, await stack.Database.CountPostsAsync(title));

        using var again = await site.PostAsync("/posts/new", Filled(page.HiddenInputs(), Fields("Ann", title, "keep this text")));
        Assert.Equal(("Ann", title, "keep this text"), await StoredAsync(WrittenPostId(again)));
    }

    [Fact]
    public async Task A_script_in_a_post_is_shown_as_text_not_run()
    {
        var marker = Guid.NewGuid().ToString("N");
        var script = $"<script>alert('{marker}')</script>";
        using var site = stack.CreateSiteClient();

        using var response = await site.SubmitFormAsync("/posts/new", Fields(author: "<b>Mallory</b>", title: script, body: $"<img src=x onerror=alert(1)>{marker}"));
        using var post = await site.GetAsync(response.Headers.Location);
        var html = await post.Content.ReadAsStringAsync();
        var page = await post.ReadHtmlAsync();

        Assert.Equal(script, page.QuerySelector("article h1")?.TextContent);
        Assert.Equal("<b>Mallory</b>", page.QuerySelector("article .author")?.TextContent);
        Assert.Empty(page.QuerySelectorAll("article script, article img, article b"));
        Assert.Contains($"&lt;script&gt;alert(&#x27;{marker}&#x27;)&lt;/script&gt;", html);
    }

    [Fact]
    public async Task An_SQL_injection_shaped_title_is_stored_and_shown_literally()
    {
        var title = $"Robert'); DROP TABLE posts; -- {Guid.NewGuid():N}";
        using var site = stack.CreateSiteClient();

        using var response = await site.SubmitFormAsync("/posts/new", Fields("Bobby \" OR 1=1 --", title, "x' OR '1'='1"));
        var id = long.Parse(response.Headers.Location!.OriginalString["/posts/".Length..]);
        var page = await site.GetHtmlAsync($"/posts/{id}");

        Assert.Equal(("Bobby \" OR 1=1 --", title, "x' OR '1'='1"), await StoredAsync(id));
        Assert.Equal(title, page.QuerySelector("article h1")?.TextContent);
        Assert.Equal(1, await stack.Database.CountPostsAsync(title));
    }

    [Fact]
    public async Task The_form_sets_its_antiforgery_cookie_Secure_SameSite_Strict_and_HttpOnly_over_https()
    {
        using var site = stack.CreateSiteClient();

        using var response = await site.GetAsync("/posts/new");

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        var attributes = cookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToList();
        Assert.StartsWith(".AspNetCore.Antiforgery.", cookie);
        Assert.Contains("secure", attributes);
        Assert.Contains("samesite=strict", attributes);
        Assert.Contains("httponly", attributes);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_rejected()
    {
        var title = $"Forged {Guid.NewGuid():N}";
        using var site = stack.CreateSiteClient();
        // A real page load first, so only the token in the body is missing.
        await site.GetHtmlAsync("/posts/new");

        using var response = await site.PostAsync("/posts/new", new FormUrlEncodedContent(Fields("Eve", title, "cross-site")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Bad request", (await response.ReadHtmlAsync()).QuerySelector("h1")?.TextContent);
        Assert.Equal(0, await stack.Database.CountPostsAsync(title));
    }

    [Fact]
    public async Task An_oversize_post_is_refused_by_nginx_with_413_before_the_app_sees_it()
    {
        var title = $"Oversize {Guid.NewGuid():N}";
        using var site = stack.CreateSiteClient();
        var fields = Fields("Big", title, new string('x', 100_000));

        using var response = await site.SubmitFormAsync("/posts/new", fields);
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        // nginx's own page: had the app seen the request, it would have stored the post or shown the form.
        Assert.Equal("That was too large", page.QuerySelector("h1")?.TextContent);
        Assert.Contains("Answered by nginx", page.Body?.TextContent);
        Assert.Equal(0, await stack.Database.CountPostsAsync(title));
    }

    [Fact]
    public async Task The_longest_valid_post_fits_under_nginx_body_limit()
    {
        // 4,000 three-byte characters, URL-encoded to nine characters each: the worst case the form allows.
        var title = $"Longest {Guid.NewGuid():N}";
        var body = new string('語', 4000);
        using var site = stack.CreateSiteClient();

        using var response = await site.SubmitFormAsync("/posts/new", Fields("Big", title, body));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(1, await stack.Database.CountPostsAsync(title));
        Assert.True(Encoding.UTF8.GetByteCount(Uri.EscapeDataString(body)) > 32 * 1024, "the body should be a sizeable request");
    }

    [Theory]
    [InlineData("/posts/new")]
    [InlineData("/posts/1")]
    [InlineData("/no-such-page")]
    public async Task Post_with_a_utf7_charset_gets_415_with_the_sites_page(string path)
    {
        using var site = stack.CreateSiteClient();
        using var content = new StringContent("Input.Author=Eve&Input.Title=%2BADw-script%2BAD4-&Input.Body=x");
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded; charset=utf-7");

        using var response = await site.PostAsync(path, content);
        var html = await response.Content.ReadAsStringAsync();
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("Unsupported request format", page.QuerySelector("main h1")?.TextContent);
        Assert.DoesNotContain("Exception", html);
    }

    [Theory]
    [InlineData("/posts/1")]
    [InlineData("/posts")]
    [InlineData("/journey")]
    public async Task Post_with_a_valid_token_to_a_read_only_page_gets_405_with_Allow(string path)
    {
        var title = $"Misdirected {Guid.NewGuid():N}";
        using var site = stack.CreateSiteClient();
        // A real form's token and cookie, sent to a page that takes no form.
        var form = await site.GetHtmlAsync("/posts/new");
        var token = form.AntiforgeryToken() ?? "";
        var body = new Dictionary<string, string>(Fields("Eve", title, "wrong page")) { ["__RequestVerificationToken"] = token };

        using var response = await site.PostAsync(path, new FormUrlEncodedContent(body));
        var page = await response.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("GET, HEAD", string.Join(", ", response.Content.Headers.Allow));
        Assert.Equal("Method not allowed", page.QuerySelector("main h1")?.TextContent);
        Assert.Equal(0, await stack.Database.CountPostsAsync(title));
    }

    // A rendered form's hidden inputs (antiforgery token, post key) with the visitor's fields.
    private static FormUrlEncodedContent Filled(Dictionary<string, string> hidden, Dictionary<string, string> fields) =>
        new(hidden.Concat(fields));

    private static string? FieldError(AngleSharp.Html.Dom.IHtmlDocument page, string field) =>
        page.QuerySelector($"[data-valmsg-for='{field}']")?.TextContent;

    private async Task<(string Author, string Title, string Body)> StoredAsync(long id) =>
        await stack.Database.FindPostAsync(id) is { } post ? (post.Author, post.Title, post.Body) : throw new Xunit.Sdk.XunitException($"post {id} is not in the database");
}
