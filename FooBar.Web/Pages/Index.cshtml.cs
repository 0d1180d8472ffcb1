using System.Diagnostics;
using FooBar.Web.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Pages;

public class IndexModel(PostStore posts) : PageModel
{
    public FrontPage FrontPage { get; private set; } = null!;
    public double QueryMilliseconds { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        FrontPage = await posts.FrontPageAsync(count: 10, cancellationToken);
        QueryMilliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
