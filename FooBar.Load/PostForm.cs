using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;

namespace FooBar.Load;

/// <summary>The site's /posts/new form as a visitor fills it in, submits it and reads its answer.</summary>
public static class PostForm
{
    /// <summary>The hidden field that carries the post's key, made when the form is rendered: one key, one stored post.</summary>
    public const string KeyField = "Key";

    /// <summary>The form's fields, as a visitor types them (the form's hidden inputs are added by whoever submits it).</summary>
    public static Dictionary<string, string> Fields(string author, string title, string body) => new()
    {
        ["Input.Author"] = author,
        ["Input.Title"] = title,
        ["Input.Body"] = body,
    };

    /// <summary>What a browser sends for the page's post form: every hidden input it has (the antiforgery token and any other), then <paramref name="fields"/>; null when the page has no post form.</summary>
    public static Dictionary<string, string>? Submission(IHtmlDocument page, IReadOnlyDictionary<string, string> fields)
    {
        if (page.QuerySelector<IHtmlFormElement>("form[method=post]") is not { } form)
        {
            return null;
        }
        var submitted = form.QuerySelectorAll<IHtmlInputElement>("input[type=hidden][name]").ToDictionary(input => input.Name!, input => input.Value);
        foreach (var (name, value) in fields)
        {
            submitted[name] = value;
        }
        return submitted;
    }

    /// <summary>The id of the stored post the form's answer redirects to (Post/Redirect/Get), or null when the answer is no such redirect.</summary>
    public static long? PostId(HttpStatusCode status, Uri? location) =>
        status == HttpStatusCode.Redirect && Regex.Match(location?.OriginalString ?? "", @"^/posts/(\d+)$") is { Success: true } match
            ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : null;

    /// <summary>The id of the post that the form's answer redirects to; throws, failing the caller, when the answer is no such redirect.</summary>
    public static long WrittenPostId(HttpResponseMessage answer) =>
        PostId(answer.StatusCode, answer.Headers.Location)
        ?? throw new InvalidOperationException($"the post was answered {(int)answer.StatusCode} {answer.Headers.Location}, not a redirect to the stored post");
}
