using FooBar.Web.Data;
using Microsoft.AspNetCore.HttpOverrides;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddFooBarData("foobardb");
builder.Services.AddRazorPages();

// nginx is the front door: the client's address, scheme and host arrive in X-Forwarded-* headers.
// Only loopback peers (the default KnownProxies) are trusted, and the app listens on loopback only.
builder.Services.Configure<ForwardedHeadersOptions>(options =>
    options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost);

var app = builder.Build();

await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);

app.UseForwardedHeaders();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error");
}

// No static-file middleware: nginx serves wwwroot itself, and only dynamic requests reach the app.
app.UseRouting();
app.MapRazorPages();
app.MapDefaultEndpoints();

app.Run();
