-- nginx's part of a request's trace: W3C trace context in, one server span out, exported as
-- OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT (the Aspire dashboard). Every figure in the span
-- is one nginx measured itself: its request start time, its clock at the log phase, its status,
-- byte count and upstream response time.
--
--   start()  server rewrite phase: decide the trace context, pass it upstream as `traceparent`
--   finish() log phase: build the span and queue it; a timer sends queued spans in batches
local ffi = require "ffi"
local cjson = require "cjson.safe"

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
local SPAN_KIND_SERVER = 2
local STATUS_ERROR = 2
local MAX_QUEUED_SPANS = 2048
local MAX_SPANS_PER_REQUEST = 512

local M = {}

local exporter -- { host, address, port, path, headers, resource, delay }, or nil when nothing is exported
local queue, flush_scheduled = {}, false

-- Internal redirects (try_files to @web, error_page) clear ngx.ctx; the request id does not change,
-- so a request's context is kept here until its log phase.
local contexts = {}

local function hex(bytes)
  return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function random_hex(byte_count)
  local buf = ffi.new("unsigned char[?]", byte_count)
  if ffi.C.RAND_bytes(buf, byte_count) ~= 1 then
    error("RAND_bytes failed")
  end
  return hex(ffi.string(buf, byte_count))
end

-- A valid traceparent (https://www.w3.org/TR/trace-context/#traceparent-header), or nil.
local function parse_traceparent(value)
  if type(value) ~= "string" then
    return nil -- absent, or sent more than once
  end
  local version, trace_id, parent_id, flags, rest =
    value:match("^(%x%x)%-(%x+)%-(%x+)%-(%x%x)(.*)$")
  if not version or version == "ff" or #trace_id ~= 32 or #parent_id ~= 16
      or value:find("[A-F]") or trace_id:find("^0+$") or parent_id:find("^0+$") then
    return nil
  end
  -- Version 00 has exactly four fields; later versions may append more after a dash.
  if (version == "00" and rest ~= "") or (rest ~= "" and rest:sub(1, 1) ~= "-") then
    return nil
  end
  return { trace_id = trace_id, parent_id = parent_id, sampled = tonumber(flags, 16) % 2 == 1 }
end

-- The client's trace is continued when it sent one; otherwise nginx starts it, with its own
-- request id (32 random hex digits, as a trace id is) as the trace id.
local function new_context()
  local headers = ngx.req.get_headers()
  local incoming = parse_traceparent(headers["traceparent"])
  local tracestate = headers["tracestate"]
  return {
    span_id = random_hex(8),
    trace_id = incoming and incoming.trace_id or ngx.var.request_id,
    parent_id = incoming and incoming.parent_id or nil,
    -- A caller that chose not to record its trace is followed; nginx's own traces are recorded.
    sampled = (not incoming) or incoming.sampled,
    tracestate = incoming and type(tracestate) == "string" and tracestate or nil,
  }
end

local function traceparent(context)
  return string.format("00-%s-%s-%s", context.trace_id, context.span_id, context.sampled and "01" or "00")
end

function M.start()
  local id = ngx.var.request_id
  local context = contexts[id]
  if not context then
    context = new_context()
    contexts[id] = context
  end
  -- The app's server span becomes a child of nginx's; the access log reads nginx's ids from here.
  ngx.req.set_header("traceparent", traceparent(context))
end

local function now_unix_nano()
  local ts = ffi.new("foobar_timespec")
  ffi.C.clock_gettime(CLOCK_REALTIME, ts)
  return string.format("%d%09d", tonumber(ts.tv_sec), tonumber(ts.tv_nsec))
end

-- An OTLP attribute; numbers are integers unless `double` says they are measurements in seconds.
local function attribute(key, value, double)
  if value == nil or value == "" then
    return nil
  end
  if type(value) == "number" then
    if double then
      return { key = key, value = { doubleValue = value } }
    end
    return { key = key, value = { intValue = string.format("%d", value) } }
  end
  return { key = key, value = { stringValue = tostring(value) } }
end

-- "$upstream_response_time" lists one time per upstream tried ("0.004, 0.010 : 0.002"): their sum.
local function upstream_seconds(value)
  if not value or value == "" or value == "-" then
    return nil
  end
  local total, found = 0, false
  for number in value:gmatch("[%d.]+") do
    total, found = total + tonumber(number), true
  end
  return found and total or nil
end

local function build_span(context)
  local var = ngx.var
  local status = ngx.status
  local path, query = var.uri, var.args
  local attributes = {}
  local function add(key, value, double)
    attributes[#attributes + 1] = attribute(key, value, double)
  end
  add("http.request.method", var.request_method)
  add("url.scheme", var.scheme)
  add("url.path", path)
  add("url.query", query)
  add("server.address", var.host)
  add("server.port", tonumber(var.server_port))
  add("client.address", var.remote_addr)
  add("user_agent.original", var.http_user_agent)
  add("network.protocol.version", (var.server_protocol or ""):match("HTTP/(.+)"))
  add("http.response.status_code", status)
  add("http.response.body.size", tonumber(var.body_bytes_sent))
  add("nginx.request_id", var.request_id)
  add("nginx.request_time", tonumber(var.request_time), true)
  add("nginx.upstream.address", var.upstream_addr)
  add("nginx.upstream.status", var.upstream_status)
  add("nginx.upstream.response_time", upstream_seconds(var.upstream_response_time), true)

  -- Request start as nginx recorded it (milliseconds), end on nginx's clock now, after the response.
  local started_ms = math.floor(ngx.req.start_time() * 1000 + 0.5)
  return {
    traceId = context.trace_id,
    spanId = context.span_id,
    parentSpanId = context.parent_id,
    traceState = context.tracestate,
    -- No route is known to nginx; the method alone keeps span names few, as the conventions ask.
    name = var.request_method,
    kind = SPAN_KIND_SERVER,
    startTimeUnixNano = string.format("%d000000", started_ms),
    endTimeUnixNano = now_unix_nano(),
    attributes = attributes,
    -- A server span is an error only for a 5xx; 444 is nginx closing the connection on purpose.
    status = (status >= 500 and status <= 599) and { code = STATUS_ERROR } or {},
  }
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

local function post(body)
  exporter.address = exporter.address or resolve(exporter.host)
  if not exporter.address then
    return nil, "cannot resolve " .. exporter.host
  end
  local sock = ngx.socket.tcp()
  sock:settimeout(5000)
  local ok, err = sock:connect(exporter.address, exporter.port)
  if not ok then
    exporter.address = nil -- resolve again next time: the collector may have moved
    return nil, "connect: " .. err
  end
  local request = table.concat({
    "POST ", exporter.path, " HTTP/1.1\r\n",
    "Host: ", exporter.host_header, "\r\n",
    "Content-Type: application/json\r\n",
    "Content-Length: ", #body, "\r\n",
    exporter.headers,
    "Connection: close\r\n\r\n",
    body,
  })
  ok, err = sock:send(request)
  if not ok then
    sock:close()
    return nil, "send: " .. err
  end
  local status_line
  status_line, err = sock:receive("*l")
  sock:close()
  if not status_line then
    return nil, "receive: " .. err
  end
  local status = tonumber(status_line:match("^HTTP/%d%.%d (%d%d%d)"))
  if status ~= 200 then
    return nil, "the collector answered " .. status_line
  end
  return true
end

-- Also runs, early, when the worker shuts down: what is queued is still sent.
local function flush()
  flush_scheduled = false
  if #queue == 0 then
    return
  end
  local spans = queue
  queue = {}
  while #spans > 0 do
    local batch = { unpack(spans, 1, math.min(#spans, MAX_SPANS_PER_REQUEST)) }
    spans = { unpack(spans, #batch + 1) }
    local body = cjson.encode({
      resourceSpans = { {
        resource = exporter.resource,
        scopeSpans = { { scope = { name = "FooBar.Nginx" }, spans = batch } },
      } },
    })
    local ok, err = post(body)
    if not ok then
      ngx.log(ngx.WARN, "otel: ", #batch, " span(s) not exported: ", err)
    end
  end
end

function M.finish()
  local id = ngx.var.request_id
  local context = contexts[id] or new_context()
  contexts[id] = nil
  if not exporter or not context.sampled then
    return
  end
  if #queue >= MAX_QUEUED_SPANS then
    ngx.log(ngx.WARN, "otel: export queue full, span dropped")
    return
  end
  queue[#queue + 1] = build_span(context)
  if not flush_scheduled then
    local ok, err = ngx.timer.at(exporter.delay, flush)
    if ok then
      flush_scheduled = true
    else
      ngx.log(ngx.WARN, "otel: cannot schedule export: ", err)
    end
  end
end

-- "k1=v1,k2=v2" as the OpenTelemetry environment variables write lists (values URL-encoded).
local function key_values(list)
  local pairs_found = {}
  for item in (list or ""):gmatch("[^,]+") do
    local key, value = item:match("^%s*([^=]-)%s*=%s*(.-)%s*$")
    if key and key ~= "" then
      pairs_found[#pairs_found + 1] = { key, ngx.unescape_uri(value) }
    end
  end
  return pairs_found
end

-- Reads the standard OTEL_* variables once per worker (nginx.conf passes them through with `env`).
function M.init_worker()
  local endpoint = os.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
  if not endpoint or endpoint == "" then
    endpoint = os.getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint or endpoint == "" then
      return -- nobody collects spans
    end
    endpoint = endpoint:gsub("/+$", "") .. "/v1/traces"
  end
  local protocol = os.getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
  if protocol and protocol ~= "" and protocol ~= "http/json" then
    ngx.log(ngx.WARN, "otel: OTLP protocol ", protocol, " is not supported (only http/json); spans are not exported")
    return
  end
  local host, port, path = endpoint:match("^http://([^/:]+):?(%d*)(/.*)$")
  if not host then
    ngx.log(ngx.WARN, "otel: only http:// OTLP endpoints are supported, not ", endpoint, "; spans are not exported")
    return
  end

  local headers = {}
  for _, kv in ipairs(key_values(os.getenv("OTEL_EXPORTER_OTLP_HEADERS"))) do
    headers[#headers + 1] = kv[1] .. ": " .. kv[2] .. "\r\n"
  end

  local attributes = {}
  local service_name = os.getenv("OTEL_SERVICE_NAME")
  for _, kv in ipairs(key_values(os.getenv("OTEL_RESOURCE_ATTRIBUTES"))) do
    if kv[1] == "service.name" and (not service_name or service_name == "") then
      service_name = kv[2]
    elseif kv[1] ~= "service.name" then
      attributes[#attributes + 1] = attribute(kv[1], kv[2])
    end
  end
  attributes[#attributes + 1] = attribute("service.name", (service_name and service_name ~= "") and service_name or "nginx")
  attributes[#attributes + 1] = attribute("telemetry.sdk.name", "foobar-nginx-lua")
  attributes[#attributes + 1] = attribute("telemetry.sdk.language", "lua")

  local delay_ms = tonumber(os.getenv("OTEL_BSP_SCHEDULE_DELAY") or "") or 5000
  exporter = {
    host = host,
    port = tonumber(port) or 80,
    host_header = port ~= "" and (host .. ":" .. port) or host,
    path = path,
    headers = table.concat(headers),
    resource = { attributes = attributes },
    delay = delay_ms / 1000,
  }
  exporter.address = resolve(host) -- again at the first export if the name is not known yet
end

M.parse_traceparent = parse_traceparent

return M
