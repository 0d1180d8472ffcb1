using System.Text.Encodings.Web;
using System.Text.Unicode;
using FooBar.Web;
using FooBar.Web.Data;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.WebEncoders;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddFooBarData("foobardb");
builder.Services.AddRazorPages();

// Pages are UTF-8: only characters that mean something in HTML are escaped, not every non-ASCII letter.
builder.Services.Configure<WebEncoderOptions>(options => options.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));

// nginx is the front door: the client's address, scheme and host arrive in X-Forwarded-* headers.
// Only loopback peers (the default KnownProxies) are trusted, and the app listens on loopback only.
builder.Services.Configure<ForwardedHeadersOptions>(options =>
    options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost);

var app = builder.Build();

await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);

app.UseForwardedHeaders();

// Errors get FooBar's own pages in every environment (the Error page adds details in Development only);
// an unreachable database is a 503 with Retry-After, not a 500.
app.UseStatusCodePagesWithReExecute("/Error/{0}");
app.UseExceptionHandler(new ExceptionHandlerOptions
{
    ExceptionHandlingPath = "/Error",
    StatusCodeSelector = exception => DatabaseUnavailable.Is(exception)
        ? StatusCodes.Status503ServiceUnavailable
        : StatusCodes.Status500InternalServerError,
});

// No static-file middleware: nginx serves wwwroot itself, and only dynamic requests reach the app.
app.UseRouting();
app.MapRazorPages();
app.MapDefaultEndpoints();

// nginx connects to the Unix socket the AppHost may add to the listen URLs, from its own user: let it.
app.Lifetime.ApplicationStarted.Register(() => UnixSockets.AllowOtherUsers(app.Urls));

app.Run();
