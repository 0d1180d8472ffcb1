using FooBar.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Pages.Posts;

public class PostDetailsModel(PostStore posts) : PageModel
{
    public Post Post { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (await posts.FindAsync(id, cancellationToken) is not { } post)
        {
            return NotFound();
        }

        Post = post;
        return Page();
    }
}
