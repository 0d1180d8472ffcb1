using System.Net;
using AngleSharp.Html.Dom;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// The journey page asked for twice, honestly and with forged <c>X-Forwarded-*</c> headers: what nginx saw, the scheme
/// and the host must read the same, and the forged address appear only as what the client claimed.
/// </summary>
public static class ForgedForwardedHeaders
{
    public const string ClaimedAddress = "6.6.6.6";

    /// <summary>Asserts the forged headers (and <paramref name="more"/>) changed nothing; returns both pages for more checks.</summary>
    public static async Task<(IHtmlDocument Honest, IHtmlDocument Forged)> AssertChangeNothingAsync(HttpClient site,
        params (string Name, string Value)[] more)
    {
        using var honest = await site.GetAsync("/journey");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/journey");
        request.Headers.Add("X-Forwarded-For", ClaimedAddress);
        request.Headers.Add("X-Forwarded-Proto", "http");
        request.Headers.Add("X-Forwarded-Host", "evil.example");
        foreach (var (name, value) in more)
        {
            request.Headers.Add(name, value);
        }
        using var forged = await site.SendAsync(request);
        var expected = await honest.ReadHtmlAsync();
        var seen = await forged.ReadHtmlAsync();

        Assert.Equal(HttpStatusCode.OK, forged.StatusCode);
        Assert.Equal("www.foobar.com", Text(seen, ".journey-host"));
        Assert.Equal("https", Text(seen, ".journey-scheme"));
        Assert.Equal(Text(expected, ".journey-forwarded-for"), Text(seen, ".journey-forwarded-for"));
        // The claim is shown as a claim, and only as that.
        Assert.Equal(ClaimedAddress, Text(seen, ".journey-claimed-for"));
        Assert.DoesNotContain("evil.example", seen.Body?.TextContent);
        return (expected, seen);
    }

    public static string? Text(IHtmlDocument page, string selector) => page.QuerySelector(selector)?.TextContent.Trim();
}
