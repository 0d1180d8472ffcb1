using FooBar.Web.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Pages;

public class IndexModel(PostStore posts) : PageModel
{
    public IReadOnlyList<Post> Posts { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Posts = await posts.LatestAsync(count: 5, cancellationToken);
}
