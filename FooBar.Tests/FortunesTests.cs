using System.Net;
using System.Text;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>/fortunes implements the TechEmpower Fortunes test to the letter.</summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class FortunesTests(StackFixture stack)
{
    // The spec's twelve rows plus the one added at request time, sorted by message (ordinal), HTML-escaped
    // by ASP.NET Core's encoder: it also escapes ' and + (as &#x27; and &#x2B;), which is valid HTML.
    private const string Expected =
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>" +
        "<tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be displayed in a browser alert box.&quot;);&lt;/script&gt;</td></tr>" +
        "<tr><td>4</td><td>A bad random number generator: 1, 1, 1, 1, 1, 4.33e&#x2B;67, 1, 1, 1</td></tr>" +
        "<tr><td>5</td><td>A computer program does what you tell it to do, not what you want it to do.</td></tr>" +
        "<tr><td>2</td><td>A computer scientist is someone who fixes things that aren&#x27;t broken.</td></tr>" +
        "<tr><td>8</td><td>A list is only as strong as its weakest link. — Donald Knuth</td></tr>" +
        "<tr><td>0</td><td>Additional fortune added at request time.</td></tr>" +
        "<tr><td>3</td><td>After enough decimal places, nobody gives a damn.</td></tr>" +
        "<tr><td>7</td><td>Any program that runs right is obsolete.</td></tr>" +
        "<tr><td>10</td><td>Computers make very fast, very accurate mistakes.</td></tr>" +
        "<tr><td>6</td><td>Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen</td></tr>" +
        "<tr><td>9</td><td>Feature: A bug with seniority.</td></tr>" +
        "<tr><td>1</td><td>fortune: No such file or directory</td></tr>" +
        "<tr><td>12</td><td>フレームワークのベンチマーク</td></tr>" +
        "</table></body></html>";

    [Fact]
    public async Task Fortunes_page_is_byte_for_byte_the_spec_output()
    {
        using var site = stack.CreateSiteClient();

        using var response = await site.GetAsync("/fortunes");
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(Expected, Encoding.UTF8.GetString(body).TrimEnd('\n'));
        Assert.Equal(13, (await site.GetHtmlAsync("/fortunes")).QuerySelectorAll("tr").Length - 1);
    }
}
