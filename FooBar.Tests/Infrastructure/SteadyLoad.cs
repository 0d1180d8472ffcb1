using System.Diagnostics;
using System.Net;
using AngleSharp.Html.Parser;
using Xunit.Abstractions;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// Visitors at a steady pace through nginx while a test stops, restarts or reloads something: a few readers
/// loading pages and a static file, and one writer posting through the real form. Every request is recorded.
/// Bounded: it runs until stopped, for at most <see cref="DefaultMaxDuration"/> unless told, and pauses between requests.
/// </summary>
public sealed class SteadyLoad : IAsyncDisposable
{
    private static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromMinutes(3);
    private static readonly string[] Pages = ["/", "/fortunes", "/journey", "/css/site.css"];

    private readonly CancellationTokenSource _stop;
    private readonly List<Task> _visitors = [];
    private readonly List<Request> _requests = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>One request: what it was, when it started, what the visitor got and how long it took.</summary>
    public sealed record Request(string Method, string Path, TimeSpan StartedAt, HttpStatusCode? Status, string? Error, TimeSpan Latency, int Retries)
    {
        /// <summary>A page or file answered 200; a post was stored and redirected to its page (Post/Redirect/Get).</summary>
        public bool Succeeded => Method == "POST" ? Status == HttpStatusCode.Redirect : Status == HttpStatusCode.OK;

        public override string ToString() =>
            $"{StartedAt.TotalSeconds,7:0.000} s {Method} {Path}: {(Status is { } status ? ((int)status).ToString() : Error)} in {Latency.TotalMilliseconds:0} ms"
            + (Retries > 0 ? $" (sent again {Retries}×)" : "");
    }

    private SteadyLoad(TimeSpan maxDuration)
    {
        _stop = new(maxDuration);
    }

    /// <summary>The titles of the posts this load wrote all start with this, so a test can find them.</summary>
    public string PostMarker { get; } = $"steady load {Guid.NewGuid():N}";

    /// <summary>The ids of the posts the site acknowledged (the redirect to <c>/posts/{id}</c>).</summary>
    public List<long> AcknowledgedPosts { get; } = [];

    /// <summary>Starts the visitors on <paramref name="site"/>; <paramref name="maxDuration"/> bounds them when what they wait for may take longer than the default.</summary>
    public static SteadyLoad Start(ISite site, int readers = 3, bool writer = true, TimeSpan? maxDuration = null)
    {
        var load = new SteadyLoad(maxDuration ?? DefaultMaxDuration);
        for (var reader = 0; reader < readers; reader++)
        {
            var first = reader;
            load._visitors.Add(Task.Run(() => load.ReadAsync(site, first)));
        }
        if (writer)
        {
            load._visitors.Add(Task.Run(() => load.WriteAsync(site)));
        }
        return load;
    }

    /// <summary>Stops the visitors and returns every request they made, in the order they started.</summary>
    public async Task<IReadOnlyList<Request>> StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_visitors);
        lock (_requests)
        {
            return _requests.OrderBy(r => r.StartedAt).ToList();
        }
    }

    /// <summary>Writes what the visitors got to the test's output: the counts, then the failed and re-sent requests (the first 20).</summary>
    public static void Report(IReadOnlyList<Request> requests, ITestOutputHelper output)
    {
        output.WriteLine($"{requests.Count} requests, {requests.Count(r => !r.Succeeded)} failed, {requests.Count(r => r.Retries > 0)} sent again, "
            + $"slowest {requests.Max(r => r.Latency).TotalMilliseconds:0} ms");
        foreach (var failed in requests.Where(r => !r.Succeeded || r.Retries > 0).Take(20))
        {
            output.WriteLine(failed.ToString());
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task ReadAsync(ISite stack, int first)
    {
        using var site = stack.CreateSiteClient();
        for (var n = first; !_stop.IsCancellationRequested; n++)
        {
            var path = Pages[n % Pages.Length];
            await SendAsync(site, () => new HttpRequestMessage(HttpMethod.Get, path));
            await PauseAsync(TimeSpan.FromMilliseconds(20));
        }
    }

    // As a browser does: the form first (its antiforgery cookie and token), then the post.
    private async Task WriteAsync(ISite stack)
    {
        using var site = stack.CreateSiteClient();
        for (var n = 1; !_stop.IsCancellationRequested; n++)
        {
            var form = await SendAsync(site, () => new HttpRequestMessage(HttpMethod.Get, "/posts/new"));
            if (form.Body is { } page && new HtmlParser().ParseDocument(page).AntiforgeryToken() is { } token)
            {
                var title = $"{PostMarker} #{n}";
                var post = await SendAsync(site, () => new HttpRequestMessage(HttpMethod.Post, "/posts/new")
                {
                    Content = new FormUrlEncodedContent(
                        new Dictionary<string, string>(PostForm.Fields("steady load", title, "written while something restarted")) { ["__RequestVerificationToken"] = token }),
                });
                if (post.Request.Succeeded && post.Location?.OriginalString is { } location && location.StartsWith("/posts/", StringComparison.Ordinal))
                {
                    lock (AcknowledgedPosts)
                    {
                        AcknowledgedPosts.Add(long.Parse(location["/posts/".Length..], System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
            }
            await PauseAsync(TimeSpan.FromMilliseconds(100));
        }
    }

    // As browsers do, a request whose kept-alive connection the server closed before answering (nginx closes its idle
    // connections when it reloads, and may read nothing of a request that crosses that close) is sent once more on a
    // new connection; the record says so. A post stored twice would show as an extra row in the tests' database check.
    private async Task<(Request Request, string? Body, Uri? Location)> SendAsync(HttpClient site, Func<HttpRequestMessage> message)
    {
        var startedAt = _clock.Elapsed;
        for (var attempt = 1; ; attempt++)
        {
            using var request = message();
            Request record;
            string? body = null;
            Uri? location = null;
            try
            {
                // Not cancelled by the stop: a request under way is finished and recorded.
                using var response = await site.SendAsync(request);
                body = await response.Content.ReadAsStringAsync();
                location = response.Headers.Location;
                record = new(request.Method.Method, request.RequestUri!.OriginalString, startedAt, response.StatusCode, null, _clock.Elapsed - startedAt, attempt - 1);
            }
            catch (HttpRequestException ex) when (attempt == 1 && (ex.HttpRequestError == HttpRequestError.ResponseEnded || ex.InnerException is IOException))
            {
                continue;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                var error = ex.InnerException is { } cause ? $"{ex.Message} ({cause.Message})" : ex.Message;
                record = new(request.Method.Method, request.RequestUri!.OriginalString, startedAt, null, error, _clock.Elapsed - startedAt, attempt - 1);
            }
            lock (_requests)
            {
                _requests.Add(record);
            }
            return (record, body, location);
        }
    }

    private async Task PauseAsync(TimeSpan pause)
    {
        try
        {
            await Task.Delay(pause, _stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
