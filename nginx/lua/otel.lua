-- nginx's part of a request's trace: W3C trace context in, one server span out, exported as
-- OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT (the Aspire dashboard). The pure parts are in otel/
-- (tested by test/run.lua without nginx); this file holds what needs nginx: phases, timers, sockets.
--
--   start()   server rewrite phase: decide the trace context and sampling, pass it upstream as `traceparent`
--   finish()  log phase: if sampled, encode the span and queue it; timers send queued spans in batches
--   discard() log phase of a location that wants no span (the health probe): forget the context
--
-- Per worker, memory is bounded: a context lives from start() to finish()/discard() (a sweep drops any
-- older than STALE_CONTEXT_SECONDS), and the queue holds at most OTEL_BSP_MAX_QUEUE_SIZE encoded spans.
-- Every REPORT_INTERVAL seconds, when a count changed, each worker logs one line of cumulative counts of
-- spans exported and dropped, in the fixed format Queue.REPORT_FORMAT (otel/queue.lua) documents.
-- A batch the collector failed to take transiently is kept (one at most) and sent again with backoff
-- (otel/sender.lua, otel/retry.lua). Failures are warnings: the first at once, then, when more came,
-- the latest drop and the latest retry with each report; a stopping worker logs them at once.
local ffi = require "ffi"
local cjson = require "cjson.safe"
local trace_context = require "otel.context"
local config = require "otel.config"
local Queue = require "otel.queue"
local retry = require "otel.retry"
local Sender = require "otel.sender"
local span = require "otel.span"
local metrics = require "metrics"

ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } foobar_timespec;
  int clock_gettime(int clock_id, foobar_timespec *tp);
  int RAND_bytes(unsigned char *buf, int num);

  typedef struct foobar_addrinfo {
    int ai_flags, ai_family, ai_socktype, ai_protocol;
    unsigned int ai_addrlen;
    void *ai_addr;
    char *ai_canonname;
    struct foobar_addrinfo *ai_next;
  } foobar_addrinfo;
  int getaddrinfo(const char *node, const char *service, const foobar_addrinfo *hints, foobar_addrinfo **res);
  void freeaddrinfo(foobar_addrinfo *res);
  int getnameinfo(const void *addr, unsigned int addrlen, char *host, unsigned int hostlen,
                  char *serv, unsigned int servlen, int flags);
]]

local CLOCK_REALTIME = 0
local SOCK_STREAM, NI_NUMERICHOST = 1, 1
local REPORT_INTERVAL = 10
-- Far longer than nginx lets a request live here (proxy_read_timeout 10s, client_body_timeout 60s).
local STALE_CONTEXT_SECONDS = 300
local CONNECT_TIMEOUT_MS = 2000
local KEEPALIVE_IDLE_MS, KEEPALIVE_POOL_SIZE = 60000, 2

local M = {}

local sampler = trace_context.sampler() -- until init_worker() reads the environment
local exporter -- settings from otel/config.lua plus address; nil when nothing is exported
local queue
local sender
local exporting = false
local pending = {} -- [kind] = true while a timer of that kind ("now", "later", "retry") is set
local unlogged = {} -- the latest export warnings not logged yet, by kind: drop, retry
local warning_logged_at = -math.huge
local published_spans = {} -- this worker's span counts as last added to the status page's (metrics.lua)

-- Internal redirects (try_files to @web, error_page) clear ngx.ctx and run server rewrite again; the
-- request id does not change, so a request's context is kept here until its log phase.
local contexts = {}

local random_buffer = ffi.new("unsigned char[8]")
local function random_span_id()
  if ffi.C.RAND_bytes(random_buffer, 8) ~= 1 then
    error("RAND_bytes failed")
  end
  local b = random_buffer
  return string.format("%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7])
end

local timespec = ffi.new("foobar_timespec")
local function now_unix_nano()
  ffi.C.clock_gettime(CLOCK_REALTIME, timespec)
  return string.format("%d%09d", tonumber(timespec.tv_sec), tonumber(timespec.tv_nsec))
end

-- The client's trace is continued when it sent a valid one; otherwise nginx starts it, with its own
-- request id (32 random hex digits, as a trace id is) as the trace id. The sampler decides either way.
local function new_context(request_id)
  local var = ngx.var
  local incoming = trace_context.parse_traceparent(var.http_traceparent)
  local trace_id = incoming and incoming.trace_id or request_id
  local sampled = trace_context.should_sample(sampler, trace_id, incoming)
  local span_id = random_span_id()
  return {
    trace_id = trace_id,
    span_id = span_id,
    parent_id = incoming and incoming.parent_id or nil,
    sampled = sampled,
    tracestate = incoming and var.http_tracestate or nil,
    traceparent = trace_context.format_traceparent(trace_id, span_id, sampled),
    created = ngx.now(),
  }
end

function M.start()
  local id = ngx.var.request_id
  local context = contexts[id]
  if not context then
    context = new_context(id)
    contexts[id] = context
  end
  -- The app's server span becomes a child of nginx's (unsampled: flags 00, so the app records nothing);
  -- the access log reads nginx's ids and sampled flag from here (telemetry.conf).
  ngx.req.set_header("traceparent", context.traceparent)
end

function M.discard()
  contexts[ngx.var.request_id] = nil
end

-- The collector's address as the system resolves it (/etc/hosts included, where container runtimes
-- put names such as Aspire's tunnel); cosockets would need a DNS server in `resolver` instead.
local function resolve(host)
  local hints = ffi.new("foobar_addrinfo")
  hints.ai_socktype = SOCK_STREAM
  local result = ffi.new("foobar_addrinfo*[1]")
  if ffi.C.getaddrinfo(host, nil, hints, result) ~= 0 or result[0] == nil then
    return nil
  end
  local address = ffi.new("char[?]", 64)
  local found = ffi.C.getnameinfo(result[0].ai_addr, result[0].ai_addrlen, address, 64, nil, 0, NI_NUMERICHOST) == 0
  ffi.C.freeaddrinfo(result[0])
  if not found then
    return nil
  end
  local ip = ffi.string(address)
  return ip:find(":", 1, true) and ("[" .. ip .. "]") or ip
end

-- Reads one HTTP/1.1 response to its end, so the connection can carry the next request.
-- Returns the status, whether the collector closes the connection and its Retry-After seconds, or nil and an error.
local function read_response(sock)
  local line, err = sock:receive("*l")
  if not line then
    return nil, "receive: " .. err
  end
  local status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
  if not status then
    return nil, "not an HTTP response: " .. line:sub(1, 40)
  end
  local length, chunked, close, retry_after = nil, false, line:find("^HTTP/1%.0") ~= nil, nil
  while true do
    line, err = sock:receive("*l")
    if not line then
      return nil, "receive: " .. err
    end
    if line == "" then
      break
    end
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    name, value = (name or ""):lower(), (value or ""):lower()
    if name == "content-length" then
      length = tonumber(value)
    elseif name == "transfer-encoding" then
      chunked = value:find("chunked", 1, true) ~= nil
    elseif name == "connection" then
      close = value == "close" or (close and value ~= "keep-alive")
    elseif name == "retry-after" then
      retry_after = retry.retry_after_seconds(value)
    end
  end
  if chunked then
    repeat
      line, err = sock:receive("*l")
      local size = line and tonumber(line:match("^%x+"), 16)
      if not size then
        return nil, "receive chunk: " .. (err or "bad size")
      end
      if size > 0 then
        local _, chunk_err = sock:receive(size + 2) -- the chunk and its CRLF
        if chunk_err then
          return nil, "receive chunk: " .. chunk_err
        end
      end
    until size == 0
    repeat -- trailers, up to the empty line
      line, err = sock:receive("*l")
      if not line then
        return nil, "receive: " .. err
      end
    until line == ""
  elseif length then
    if length > 0 then
      local _, body_err = sock:receive(length)
      if body_err then
        return nil, "receive body: " .. body_err
      end
    end
  else
    close = true -- a body that ends when the connection does: not worth reading
  end
  return status, close, retry_after
end

-- One POST on a pooled connection: ok, or nil, an error, whether the connection had been reused, and the
-- collector's HTTP status and Retry-After seconds when it answered.
local function post_once(body)
  exporter.address = exporter.address or resolve(exporter.host)
  if not exporter.address then
    return nil, "cannot resolve " .. exporter.host
  end
  local sock = ngx.socket.tcp()
  sock:settimeouts(CONNECT_TIMEOUT_MS, exporter.timeout_ms, exporter.timeout_ms)
  local ok, err = sock:connect(exporter.address, exporter.port)
  if not ok then
    exporter.address = nil -- resolve again next time: the collector may have moved
    return nil, "connect: " .. err
  end
  local reused = (sock:getreusedtimes() or 0) > 0
  ok, err = sock:send({
    "POST ", exporter.path, " HTTP/1.1\r\n",
    "Host: ", exporter.host_header, "\r\n",
    "Content-Type: application/json\r\n",
    "Content-Length: ", tostring(#body), "\r\n",
    exporter.headers,
    "\r\n",
    body,
  })
  if not ok then
    sock:close()
    return nil, "send: " .. err, reused
  end
  local status, close_or_err, retry_after = read_response(sock)
  if not status then
    sock:close()
    return nil, close_or_err, reused
  end
  if close_or_err then
    sock:close()
  else
    sock:setkeepalive(KEEPALIVE_IDLE_MS, KEEPALIVE_POOL_SIZE)
  end
  if status < 200 or status > 299 then
    return nil, "the collector answered HTTP " .. status, false, status, retry_after
  end
  return true
end

local function post(body)
  local ok, err, reused, status, retry_after = post_once(body)
  -- A kept-alive connection the collector had already closed: once more, on a new connection.
  if not ok and reused and (err:find("closed", 1, true) or err:find("reset", 1, true)) then
    local _
    ok, err, _, status, retry_after = post_once(body)
  end
  return ok, err, status, retry_after
end

-- An export failure: logged at once if none was in the last REPORT_INTERVAL, else the latest drop and
-- the latest retry wait for the report; a stopping worker logs at once, as its report may have run.
local function warn(message, dropped, stopping)
  local now = ngx.now()
  if stopping or now - warning_logged_at >= REPORT_INTERVAL then
    ngx.log(ngx.WARN, message)
    warning_logged_at = now
  else
    unlogged[dropped and "drop" or "retry"] = message
  end
end

local function log_unlogged_warnings()
  for _, kind in ipairs({ "drop", "retry" }) do
    if unlogged[kind] then
      ngx.log(ngx.WARN, unlogged[kind])
      unlogged[kind] = nil
      warning_logged_at = ngx.now()
    end
  end
end

local function clock()
  ngx.update_time() -- the posts took time
  return ngx.now()
end

local schedule_export

-- One export runs at a time per worker; a timer that finds one running leaves the queue to it.
local function export(premature, kind)
  pending[kind] = nil
  if exporting then
    return
  end
  exporting = true
  -- A full batch's timer sends full batches; the others all that is queued (see Sender:send).
  local ok, err = pcall(sender.send, sender, exporter.batch_size, premature or kind ~= "now", premature)
  exporting = false
  if not ok then
    ngx.log(ngx.ERR, "otel: export failed: ", err)
  end
  metrics.publish_spans(ngx.shared.foobar_metrics, queue, published_spans)
  if (queue.count > 0 or sender.held) and not premature then
    schedule_export()
  end
end

-- A held batch is retried when due, and nothing leaves before it; otherwise a full batch leaves at
-- once, a partial one after the delay. Never blocks the request.
schedule_export = function()
  if exporting then
    return -- the running export takes what is queued
  end
  local kind, delay
  local retry_in = sender:retry_in()
  if retry_in then
    kind, delay = "retry", retry_in
  elseif queue.count >= exporter.batch_size then
    kind, delay = "now", 0
  else
    kind, delay = "later", exporter.delay
  end
  if pending[kind] then
    return
  end
  local ok, err = ngx.timer.at(delay, export, kind)
  if ok then
    pending[kind] = true
  elseif err ~= "process exiting" then
    ngx.log(ngx.WARN, "otel: cannot schedule export: ", err)
  end
end

function M.finish()
  local id = ngx.var.request_id
  local context = contexts[id]
  contexts[id] = nil
  if not exporter then
    return
  end
  -- No context: a request nginx refused before its rewrite phase (400, 408, 414).
  context = context or new_context(id)
  if not context.sampled then
    return
  end
  local encoded = cjson.encode(span.build(ngx.var, ngx.status, ngx.req.start_time(), now_unix_nano(), context))
  if encoded and queue:push(encoded) then
    schedule_export()
  end
end

-- Every REPORT_INTERVAL: drop contexts whose log phase never ran, and log the counts if they changed.
local function report(premature)
  local oldest = ngx.now() - STALE_CONTEXT_SECONDS
  local stale = 0
  for id, context in pairs(contexts) do
    if context.created < oldest then
      contexts[id] = nil
      stale = stale + 1
    end
  end
  if stale > 0 then
    ngx.log(ngx.WARN, "otel: ", stale, " trace context(s) older than ", STALE_CONTEXT_SECONDS,
      " s dropped: a location skips the log phase without calling discard()")
  end
  if not exporter then
    return
  end
  if premature then
    -- The worker is stopping: what is queued is still sent, after any export under way.
    for _ = 1, 50 do
      if not exporting then break end
      ngx.sleep(0.1)
    end
    if not exporting then
      exporting = true
      local ok, err = pcall(sender.send, sender, exporter.batch_size, true, true)
      exporting = false
      if not ok then
        ngx.log(ngx.ERR, "otel: export failed: ", err)
      end
    end
  end
  -- Spans dropped because the queue was full, with no export since.
  metrics.publish_spans(ngx.shared.foobar_metrics, queue, published_spans)
  local line, new_drops = queue:report(ngx.worker.pid())
  if line then
    ngx.log(new_drops and ngx.WARN or ngx.NOTICE, line)
  end
  log_unlogged_warnings()
end

-- Reads the standard OTEL_* variables once per worker (nginx.conf passes them through with `env`).
function M.init_worker()
  local settings = config.from_env(os.getenv)
  for _, warning in ipairs(settings.warnings) do
    ngx.log(ngx.WARN, "otel: ", warning)
  end
  sampler = settings.sampler
  exporter = settings.exporter
  if exporter then
    queue = Queue.new(exporter.max_queue_size)
    local body_prefix = '{"resourceSpans":[{"resource":' .. cjson.encode(exporter.resource)
      .. ',"scopeSpans":[{"scope":{"name":"FooBar.Nginx"},"spans":['
    -- Workers failing together then retry at different moments (the jitter in otel/retry.lua).
    math.randomseed(ngx.worker.pid() + ngx.now() * 1000)
    sender = Sender.new({
      queue = queue,
      encode = function(spans) return body_prefix .. table.concat(spans, ",") .. "]}]}]}" end,
      post = post,
      now = clock,
      random = math.random,
      warn = warn,
    })
    exporter.address = resolve(exporter.host) -- again at the first export if the name is not known yet
  end
  local ok, err = ngx.timer.every(REPORT_INTERVAL, report)
  if not ok then
    ngx.log(ngx.ERR, "otel: cannot start the report timer: ", err)
  end
end

return M
