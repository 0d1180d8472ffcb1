using System.ComponentModel.DataAnnotations;
using FooBar.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Pages.Posts;

// Razor Pages check the antiforgery token on every POST: a form posted without it gets 400.
public class NewPostModel(PostStore posts) : PageModel
{
    [BindProperty]
    public PostInput Input { get; set; } = new();

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        // Limits apply to what is kept, so surrounding spaces neither count nor get stored.
        Input = Input.Trimmed();
        ModelState.Clear();
        if (!TryValidateModel(Input, nameof(Input)))
        {
            return Page();
        }

        var id = await posts.AddAsync(Input.Author!, Input.Title!, Input.Body!, cancellationToken);
        // Post/Redirect/Get: reloading the next page does not post again.
        return Redirect($"/posts/{id}");
    }

    public sealed class PostInput
    {
        [Display(Name = "Your name")]
        [Required(ErrorMessage = "Say who you are.")]
        [StringLength(50, ErrorMessage = "Keep your name to {1} characters.")]
        public string? Author { get; set; }

        [Required(ErrorMessage = "Give the post a title.")]
        [StringLength(120, ErrorMessage = "Keep the title to {1} characters.")]
        public string? Title { get; set; }

        [Display(Name = "Post")]
        [Required(ErrorMessage = "Write something.")]
        [StringLength(4000, ErrorMessage = "Keep the post to {1} characters.")]
        public string? Body { get; set; }

        public PostInput Trimmed() => new() { Author = Author?.Trim(), Title = Title?.Trim(), Body = Body?.Trim() };
    }
}
