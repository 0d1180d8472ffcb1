using FooBar.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Pages.Posts;

public class PostsModel(PostStore posts) : PageModel
{
    public const int PageSize = 20;

    public PostPage Listing { get; private set; } = null!;

    // "page" that is not a number, or a page with no posts on it, is a page that does not exist.
    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "page")] int? pageNumber, CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid || await posts.PageAsync(pageNumber ?? 1, PageSize, cancellationToken) is not { } page)
        {
            return NotFound();
        }

        Listing = page;
        return Page();
    }
}
