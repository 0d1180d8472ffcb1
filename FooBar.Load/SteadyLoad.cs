using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;

namespace FooBar.Load;

/// <summary>
/// Visitors at a steady pace through nginx while something is stopped, restarted or reloaded: readers loading pages and
/// a static file, and one writer posting through the real form. Every request is recorded.
/// Paced one of two ways: each visitor pauses between its requests (the tests), or, given a rate, each keeps to a
/// schedule whatever became of its last request, as visitors arriving do, and skips a request it is more than
/// <see cref="GiveUp"/> behind on, so an outage cannot turn into a burst (scripts/limits.sh and the Swarm runs).
/// Bounded: it runs until stopped, for at most <see cref="DefaultMaxDuration"/> unless told.
/// </summary>
public sealed partial class SteadyLoad : IAsyncDisposable
{
    /// <summary>How long the visitors go on when nobody stops them.</summary>
    public static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromMinutes(3);

    /// <summary>With a rate, one visit in this many is a post (the form, then the post); the others are reads.</summary>
    public const int VisitsPerPost = 40;

    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ReaderPause = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan WriterPause = TimeSpan.FromMilliseconds(100);
    private static readonly string[] Pages = ["/", "/fortunes", "/journey", "/css/site.css"];

    private readonly CancellationTokenSource _stop;
    private readonly List<Task> _visitors = [];
    private readonly List<Request> _requests = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _skipped;

    /// <summary>
    /// One request: what it was, when it started, what the visitor got (a status, with a failed page's heading in Error; or an error and its short name such as
    /// <c>refused</c>, <c>reset</c> or <c>timeout</c>) and how long it took; a post's requests (its form and the post) carry
    /// its number, and the acknowledged post its id.
    /// </summary>
    public sealed record Request(string Method, string Path, TimeSpan StartedAt, HttpStatusCode? Status, string? Error, TimeSpan Latency, int Retries,
        int? Post = null, long? PostId = null, string? Failure = null)
    {
        /// <summary>A page or file answered 200; a post was stored and redirected to its page (Post/Redirect/Get).</summary>
        public bool Succeeded => Method == "POST" ? Status == HttpStatusCode.Redirect : Status == HttpStatusCode.OK;

        public override string ToString() =>
            $"{StartedAt.TotalSeconds,7:0.000} s {Method} {Path}: {(Status is { } status ? ((int)status).ToString() + (Error is null ? "" : $" \"{Error}\"") : Error)} in {Latency.TotalMilliseconds:0} ms"
            + (Retries > 0 ? $" (sent again {Retries}×)" : "");
    }

    private SteadyLoad(TimeSpan maxDuration, string postMarker)
    {
        _stop = new(maxDuration);
        PostMarker = postMarker;
    }

    /// <summary>When the load started, by the wall clock: every request's <see cref="Request.StartedAt"/> counts from here.</summary>
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    /// <summary>The titles of the posts this load wrote are this, then " #" and the post's number, so that they can be found.</summary>
    public string PostMarker { get; }

    /// <summary>The ids of the posts the site acknowledged (the redirect to <c>/posts/{id}</c>).</summary>
    public List<long> AcknowledgedPosts { get; } = [];

    /// <summary>Requests not sent because their visitor was more than <see cref="GiveUp"/> behind its schedule: whether the rate held.</summary>
    public int Skipped => Volatile.Read(ref _skipped);

    /// <summary>Starts the visitors on <paramref name="site"/>; <paramref name="maxDuration"/> bounds them when what they wait for may take longer than the default.</summary>
    public static SteadyLoad Start(ISite site, int readers = 3, bool writer = true, TimeSpan? maxDuration = null) =>
        Start(() => site.CreateSiteClient(), readers, writer, maxDuration);

    /// <summary>
    /// Starts <paramref name="readers"/> readers and a writer, each with a client from <paramref name="newVisitor"/>. Without a
    /// <paramref name="rate"/> each pauses briefly after every request; with one, together they make that many visits a second.
    /// </summary>
    public static SteadyLoad Start(Func<HttpClient> newVisitor, int readers = 3, bool writer = true, TimeSpan? maxDuration = null,
        double? rate = null, string? postMarker = null)
    {
        var load = new SteadyLoad(maxDuration ?? DefaultMaxDuration, postMarker ?? $"steady load {Guid.NewGuid():N}");
        // With a rate: the reads share what the posts leave of it, each reader a turn in order.
        var readEvery = rate is { } perSecond ? TimeSpan.FromSeconds(readers * VisitsPerPost / ((VisitsPerPost - 1) * perSecond)) : (TimeSpan?)null;
        for (var reader = 0; reader < readers; reader++)
        {
            var first = reader;
            load._visitors.Add(Task.Run(() => load.VisitAsync(newVisitor, readEvery, readEvery / readers * first, ReaderPause,
                (site, n) => load.ReadAsync(site, Pages[(first + n) % Pages.Length]))));
        }
        if (writer)
        {
            var postEvery = rate is { } perSecond2 ? TimeSpan.FromSeconds(VisitsPerPost / perSecond2) : (TimeSpan?)null;
            load._visitors.Add(Task.Run(() => load.VisitAsync(newVisitor, postEvery, postEvery / 2, WriterPause,
                (site, n) => load.WriteAsync(site, n + 1))));
        }
        return load;
    }

    /// <summary>Stops the visitors and returns every request they made, in the order they started.</summary>
    public async Task<IReadOnlyList<Request>> StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_visitors);
        return Requests;
    }

    /// <summary>Every request so far, in the order they started.</summary>
    public IReadOnlyList<Request> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.OrderBy(r => r.StartedAt).ToList();
            }
        }
    }

    /// <summary>Writes what the visitors got: the counts, then the failed and re-sent requests (the first 20).</summary>
    public static void Report(IReadOnlyList<Request> requests, Action<string> writeLine)
    {
        writeLine($"{requests.Count} requests, {requests.Count(r => !r.Succeeded)} failed, {requests.Count(r => r.Retries > 0)} sent again, "
            + $"slowest {(requests.Count > 0 ? requests.Max(r => r.Latency).TotalMilliseconds : 0):0} ms");
        foreach (var failed in requests.Where(r => !r.Succeeded || r.Retries > 0).Take(20))
        {
            writeLine(failed.ToString());
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    // One visitor with its own client: visit n, then the pause, or the next due time of its schedule.
    private async Task VisitAsync(Func<HttpClient> newVisitor, TimeSpan? every, TimeSpan? offset, TimeSpan pause, Func<HttpClient, int, Task> visit)
    {
        using var site = newVisitor();
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            if (every is { } interval)
            {
                var late = _clock.Elapsed - (offset!.Value + interval * n);
                if (late < TimeSpan.Zero)
                {
                    await PauseAsync(-late);
                    if (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                }
                else if (late > GiveUp)
                {
                    Interlocked.Increment(ref _skipped);
                    continue;
                }
            }
            await visit(site, n);
            if (every is null)
            {
                await PauseAsync(pause);
            }
        }
    }

    private Task ReadAsync(HttpClient site, string path) => SendAsync(site, () => new HttpRequestMessage(HttpMethod.Get, path), post: null);

    // As a browser does: the form first (its antiforgery cookie and hidden inputs), then the post.
    private async Task WriteAsync(HttpClient site, int post)
    {
        var form = await SendAsync(site, () => new HttpRequestMessage(HttpMethod.Get, "/posts/new"), post);
        if (form.Body is { } page
            && PostForm.Submission(new HtmlParser().ParseDocument(page), PostForm.Fields("steady load", $"{PostMarker} #{post}", "written while something restarted")) is { } fields)
        {
            var answer = await SendAsync(site, () => new HttpRequestMessage(HttpMethod.Post, "/posts/new") { Content = new FormUrlEncodedContent(fields) }, post);
            if (answer.Request.PostId is { } id)
            {
                lock (AcknowledgedPosts)
                {
                    AcknowledgedPosts.Add(id);
                }
            }
        }
    }

    // As browsers do, a request whose kept-alive connection the server closed before answering (nginx closes its idle
    // connections when it reloads, and may read nothing of a request that crosses that close) is sent once more on a
    // new connection; the record says so. A post stored twice would show as an extra row in the tests' database check.
    private async Task<(Request Request, string? Body)> SendAsync(HttpClient site, Func<HttpRequestMessage> message, int? post)
    {
        var startedAt = _clock.Elapsed;
        for (var attempt = 1; ; attempt++)
        {
            using var request = message();
            // The path as the visitor asked for it: sending makes the request's address absolute.
            var path = request.RequestUri!.OriginalString;
            Request record;
            string? body = null;
            try
            {
                // Not cancelled by the stop: a request under way is finished and recorded.
                using var response = await site.SendAsync(request);
                body = await response.Content.ReadAsStringAsync();
                var postId = request.Method == HttpMethod.Post ? PostForm.PostId(response.StatusCode, response.Headers.Location) : null;
                // A failed page's heading says who answered it (nginx's own error pages or the app's) and why.
                var heading = (int)response.StatusCode >= 400 ? Heading().Match(body) is { Success: true } h ? h.Groups[1].Value.Trim() : null : null;
                record = new(request.Method.Method, path, startedAt, response.StatusCode, heading, _clock.Elapsed - startedAt, attempt - 1, post, postId);
            }
            catch (HttpRequestException ex) when (attempt == 1 && (ex.HttpRequestError == HttpRequestError.ResponseEnded || ex.InnerException is IOException))
            {
                continue;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                var error = ex.InnerException is { } cause ? $"{ex.Message} ({cause.Message})" : ex.Message;
                record = new(request.Method.Method, path, startedAt, null, error, _clock.Elapsed - startedAt, attempt - 1, post, Failure: Failure(ex));
            }
            lock (_requests)
            {
                _requests.Add(record);
            }
            return (record, body);
        }
    }

    // What a visitor saw instead of an answer, in a word.
    private static string Failure(Exception error) => error switch
    {
        TaskCanceledException => "timeout",
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } => "refused",
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } or HttpRequestException { InnerException: IOException } => "reset",
        HttpRequestException http => http.HttpRequestError.ToString(),
        _ => error.GetType().Name,
    };

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

    [GeneratedRegex(@"<h1[^>]*>([^<]{1,120})</h1>")]
    private static partial Regex Heading();
}
