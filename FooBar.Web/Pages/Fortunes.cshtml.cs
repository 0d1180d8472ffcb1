using FooBar.Web.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Pages;

/// <summary>The TechEmpower Fortunes test: the workload for performance work, so it stays lean.</summary>
public class FortunesModel(FortuneStore fortunes) : PageModel
{
    public List<Fortune> Fortunes { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Fortunes = await fortunes.AllWithAdditionalAsync(cancellationToken);
}
