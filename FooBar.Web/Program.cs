using System.Text.Encodings.Web;
using System.Text.Unicode;
using FooBar.Web;
using FooBar.Web.Data;
using FooBar.Web.Requests;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.WebEncoders;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
// Admission control (Admission:*, checked first): a bounded number of requests at once and a short queue; beyond it, a fast 503.
builder.AddAdmissionControl();
builder.AddFooBarData("foobardb");
// The journey page's steps 2 and 3: how the stack's own DNS server answers for the name asked for.
builder.Services.AddSingleton<FooBar.Web.Dns.StackDns>();
// A page asked for with a method it has no handler for answers 405, not a page rendered without its data.
builder.Services.AddRazorPages(options => options.Conventions.ConfigureFilter(new MethodNotAllowedFilter()));

// nginx enforces the request-header limits (8 KB a line, 32 KB in all) and answers with a page; Kestrel's own
// limits sit above anything nginx forwards, because Kestrel's 431 is an empty answer.
// A flood's connects wait in a deep listen queue (somaxconn caps it) for admission control's answer instead of being
// refused: nginx counts a refused connect as the instance failing (a 502, and after five the instance marked down).
builder.WebHost.UseSockets(sockets => sockets.Backlog = 4096);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Limits.MaxRequestHeaderCount = 16_384;
    kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
});

// Pages are UTF-8: only characters that mean something in HTML are escaped, not every non-ASCII letter.
builder.Services.Configure<WebEncoderOptions>(options => options.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));

// nginx is the front door: the client's address, scheme (https) and host arrive in X-Forwarded-* headers, which nginx
// sets itself, whatever a client sent. Only nginx's hop is read (ForwardLimit 1), and only from a trusted peer: loopback
// (the default KnownProxies), the Unix socket that nginx alone is given, or in a Swarm stack the overlay network nginx
// reaches the app over (ForwardedHeaders:KnownNetworks, CIDR blocks separated by ';', which the publisher sets).
// Host filtering runs before anything else: AllowedHosts (appsettings.json) admits www.foobar.com and the loopback
// names the stack itself uses, any other Host is a 400; a forwarded host must be one of them too.
builder.Services.Configure<ForwardedHeadersOptions>(options =>
{
    options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
    options.AllowedHosts = (builder.Configuration["AllowedHosts"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
    foreach (var network in (builder.Configuration["ForwardedHeaders:KnownNetworks"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
    }
});

// The antiforgery cookie (the site's only cookie): Secure whenever the request came over HTTPS (the scheme nginx
// forwarded), SameSite=Strict (a form is posted from the site's own pages only), out of scripts' reach.
builder.Services.AddAntiforgery(options =>
{
    options.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
    options.Cookie.SameSite = SameSiteMode.Strict;
    options.Cookie.HttpOnly = true;
});

var app = builder.Build();

// Database:StartupWait: how long to wait for MySQL to answer first (none by default: the AppHost starts web after it).
await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(
    app.Configuration.GetValue<TimeSpan?>("Database:StartupWait") ?? TimeSpan.Zero, app.Lifetime.ApplicationStopping);

app.UseForwardedHeaders();

// Errors get FooBar's own pages in every environment, never exception details (the handler logs the exception
// once, with the trace id the page shows); an unreachable database is a 503 with Retry-After, not a 500.
app.UseStatusCodePagesWithReExecute("/Error/{0}");
app.UseExceptionHandler(new ExceptionHandlerOptions
{
    ExceptionHandlingPath = "/Error",
    StatusCodeSelector = exception => DatabaseUnavailable.Is(exception)
        ? StatusCodes.Status503ServiceUnavailable
        : StatusCodes.Status500InternalServerError,
});

app.UseFormCharsetCheck();

// No static-file middleware: nginx serves wwwroot itself, and only dynamic requests reach the app.
app.UseRouting();
app.UseRateLimiter();
app.MapRazorPages();
app.MapDefaultEndpoints();

// Behind a balancer that learns only later that an instance is stopping (nginx polls Swarm's DNS every second), keep
// answering for Lifetime:DrainDelay after the stop signal before Kestrel stops taking requests. None by default.
if (app.Configuration.GetValue<TimeSpan?>("Lifetime:DrainDelay") is { } drainDelay)
{
    app.Lifetime.ApplicationStopping.Register(() => Thread.Sleep(drainDelay));
}

// nginx connects to the Unix socket the AppHost may add to the listen URLs, from its own user: let it.
app.Lifetime.ApplicationStarted.Register(() => UnixSockets.AllowOtherUsers(app.Urls));
// A socket file left by an instance that was killed would stop Kestrel from listening: remove it if nothing answers on it.
UnixSockets.RemoveAbandoned((app.Configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

app.Run();
