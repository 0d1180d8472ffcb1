using System.Net;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace FooBar.Tests.Infrastructure;

public static class HttpClientExtensions
{
    private static readonly HtmlParser Parser = new();

    public static async Task<IHtmlDocument> ReadHtmlAsync(this HttpResponseMessage response) =>
        await Parser.ParseDocumentAsync(await response.Content.ReadAsStringAsync());

    public static async Task<IHtmlDocument> GetHtmlAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}");
        return await response.ReadHtmlAsync();
    }

    /// <summary>
    /// Submits the form on <paramref name="formPath"/> as a browser would: loads the page first (which sets the
    /// antiforgery cookie on this client) and posts the fields together with every hidden input of the form (its
    /// antiforgery token, and the post's key on /posts/new).
    /// </summary>
    public static async Task<HttpResponseMessage> SubmitFormAsync(this HttpClient client, string formPath, IDictionary<string, string> fields)
    {
        var page = await client.GetHtmlAsync(formPath);
        if (page.AntiforgeryToken() is null)
        {
            throw new InvalidOperationException($"The form on {formPath} has no antiforgery token.");
        }
        var body = PostForm.Submission(page, fields.AsReadOnly())
            ?? throw new InvalidOperationException($"{formPath} has no post form.");
        return await client.PostAsync(formPath, new FormUrlEncodedContent(body));
    }

    /// <summary>The names and values of the hidden inputs of the page's post form, as a browser sends them back.</summary>
    public static Dictionary<string, string> HiddenInputs(this IHtmlDocument page) =>
        PostForm.Submission(page, new Dictionary<string, string>()) ?? throw new InvalidOperationException("The page has no post form.");

    /// <summary>The hidden antiforgery token of the page's form, or null when it has none.</summary>
    public static string? AntiforgeryToken(this IHtmlDocument page) =>
        page.QuerySelector<IHtmlInputElement>("form input[name=__RequestVerificationToken]")?.Value;

    /// <summary>
    /// GETs <paramref name="path"/> until it answers <paramref name="wanted"/> or <paramref name="timeout"/> has passed,
    /// and returns the last answer: for a stack coming back after something was stopped or started. It asks every
    /// <paramref name="interval"/> (half a second unless told).
    /// </summary>
    public static Task<(HttpStatusCode Status, string Body)> WaitForStatusAsync(this HttpClient client, string path,
        HttpStatusCode wanted, TimeSpan timeout, TimeSpan? interval = null) =>
        Poll.UntilAsync(async () =>
        {
            using var response = await client.GetAsync(path);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }, answer => answer.StatusCode == wanted, timeout, interval ?? TimeSpan.FromMilliseconds(500));
}
