using System.ComponentModel.DataAnnotations;
using FooBar.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Pages.Posts;

// Razor Pages check the antiforgery token on every POST: a form posted without it gets 400.
public class NewPostModel(PostStore posts) : PageModel
{
    public const string BadKeyMessage = "This form's key was missing or not one the site made, so nothing was published. Your text is kept below: publish it again.";

    [BindProperty]
    public PostInput Input { get; set; } = new();

    /// <summary>The post's <see cref="PostKey"/>, made when the form is rendered and sent back in a hidden field.</summary>
    [BindProperty]
    public string? Key { get; set; }

    public void OnGet()
    {
        Key = PostKey.New().ToString();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        // Limits apply to what is kept, so surrounding spaces neither count nor get stored.
        Input = Input.Trimmed();
        ModelState.Clear();
        var valid = TryValidateModel(Input, nameof(Input));
        if (!PostKey.TryParse(Key, out var key))
        {
            // Without its key a post could be stored twice: refuse it, and give the form back with the text and a new key.
            ModelState.AddModelError(string.Empty, BadKeyMessage);
            Key = PostKey.New().ToString();
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }
        if (!valid)
        {
            return Page();
        }

        // The same key again (the button pressed twice, the post retried on another database node) is the post stored first.
        var id = await posts.AddAsync(key, Input.Author!, Input.Title!, Input.Body!, cancellationToken);
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
