using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace FooBar.Tests.Infrastructure;

/// <summary>The site's /posts/new form as the tests fill it in and read its answer.</summary>
public static class PostForm
{
    /// <summary>The hidden field that carries the post's key, made when the form is rendered: one key, one stored post.</summary>
    public const string KeyField = "Key";

    /// <summary>
    /// The form's fields, as a visitor types them; the hidden ones (the antiforgery token and <see cref="KeyField"/>)
    /// are added by whoever submits it, from the rendered form (<see cref="HttpClientExtensions.HiddenInputs"/>).
    /// </summary>
    public static Dictionary<string, string> Fields(string author, string title, string body) => new()
    {
        ["Input.Author"] = author,
        ["Input.Title"] = title,
        ["Input.Body"] = body,
    };

    /// <summary>The id of the post that the form's answer redirects to (Post/Redirect/Get); fails the test when the answer is no such redirect.</summary>
    public static long WrittenPostId(HttpResponseMessage answer)
    {
        var location = answer.Headers.Location?.OriginalString ?? "";
        Assert.True(answer.StatusCode == HttpStatusCode.Redirect && Regex.IsMatch(location, @"^/posts/\d+$"),
            $"the post was answered {(int)answer.StatusCode} {location}, not a redirect to the stored post");
        return long.Parse(location["/posts/".Length..], CultureInfo.InvariantCulture);
    }
}
