using DnsClient;
using FooBar.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// A real browser (Debian's Chromium, driven by Playwright) uses the site through nginx as https://www.foobar.com, with
/// certificate errors not ignored: the certificate is trusted because scripts/setup.sh put the machine's local authority
/// in Chromium's NSS database ($HOME/.pki/nssdb, which every profile reads).
/// </summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class BrowserTests(StackFixture stack, ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>Where the screenshots go: TestResults/browser in the repository (ignored by git).</summary>
    public static string ArtifactsDirectory { get; } = Path.Combine(Repository.Root, "TestResults", "browser");

    [Fact]
    public async Task A_visitor_sees_the_styled_site_writes_a_post_and_finds_it()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is missing at {Chromium}: scripts/setup.sh installs Debian's chromium package.");
        var title = $"Posted from Chromium {Guid.NewGuid():N}"[..40];

        // www.foobar.com is where the stack's DNS says (the CNAME followed: this run's nginx on loopback); no other name
        // resolves, so nothing leaves the machine.
        var answer = await StackDns.Of(stack.App).Client().QueryAsync("www.foobar.com", QueryType.A);
        var address = Assert.Single(answer.Answers.ARecords()).Address;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Args = [$"--host-resolver-rules=MAP www.foobar.com {address}, MAP * ~NOTFOUND", "--no-sandbox"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1000, Height = 900 } });
        var blocked = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy")) blocked.Add(message.Text); };

        var home = await GoToAsync(page, "/");
        Assert.Equal(200, home?.Status);
        // Over TLS the browser checked itself, and HTTP/2, as the page's own navigation timing reports.
        var security = await home!.SecurityDetailsAsync();
        var protocol = await page.EvaluateAsync<string>("() => performance.getEntriesByType('navigation')[0].nextHopProtocol");
        output.WriteLine($"Chromium: {security?.Protocol}, {protocol}, certificate of {security?.SubjectName} from {security?.Issuer}");
        Assert.Equal("h2", protocol);
        Assert.StartsWith("TLS 1.", security?.Protocol);

        // The stylesheet nginx served is applied: the header has the site's accent colour.
        Assert.Equal("rgb(11, 110, 79)", await page.EvalOnSelectorAsync<string>(".site-header", "e => getComputedStyle(e).borderBottomColor"));

        await page.ClickAsync("nav >> text=Write a post");
        await page.FillAsync("#Input_Author", "Chromium");
        await page.FillAsync("#Input_Title", title);
        await page.FillAsync("#Input_Body", "Typed into the form by a real browser, through nginx.");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/posts/*");

        Assert.Matches(@"/posts/\d+$", page.Url);
        Assert.Equal(title, await page.TextContentAsync("article h1"));
        await GoToAsync(page, "/");
        Assert.Equal(title, await page.TextContentAsync(".posts .post h3"));

        // The journey page's script ran (allowed by the policy) and filled in the browser's own timing: its lookup and
        // connection beside the stack's DNS answer (steps 2 and 3), and the whole request.
        await GoToAsync(page, "/journey");
        await page.WaitForFunctionAsync("() => document.getElementById('browser-timing').textContent.startsWith('DNS')");
        Assert.Matches(@"^\d+\.\d ms$", await page.TextContentAsync("#step-dns #browser-dns"));
        Assert.Matches(@"^\d+\.\d ms$", await page.TextContentAsync("#step-ip #browser-connect"));
        Assert.Contains("CNAME", await page.TextContentAsync("#step-dns .journey-dns"));
        Assert.Empty(blocked);
        await SaveScreenshotAsync(page, "journey.png");

        await GoToAsync(page, "/");
        await SaveScreenshotAsync(page, "home-with-new-post.png");
    }

    // Chromium abandons a navigation when the machine's networks change (net::ERR_NETWORK_CHANGED), as they do whenever
    // another test's stack makes or removes its Docker network: such a navigation is made again, twice at most.
    private async Task<IResponse?> GoToAsync(IPage page, string path)
    {
        var url = $"https://www.foobar.com:{stack.SiteAddress.Port}{path}";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await page.GotoAsync(url);
            }
            catch (PlaywrightException error) when (attempt < 3 && error.Message.Contains("net::ERR_NETWORK_CHANGED", StringComparison.Ordinal))
            {
                output.WriteLine($"{url}: {error.Message.Split('\n')[0]}; navigating again");
            }
        }
    }

    private async Task SaveScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ArtifactsDirectory);
        var path = Path.Combine(ArtifactsDirectory, name);
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"Screenshot of {page.Url}: {path}");
        Assert.True(new FileInfo(path).Length > 10_000, $"the screenshot {path} is suspiciously small");
    }
}
