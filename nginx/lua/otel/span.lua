-- nginx's server span of one request, as an OTLP/JSON object, from what nginx measured. Takes its
-- variables as a table (ngx.var in nginx, a plain table in test/), so it runs without nginx.
local M = {}

local SPAN_KIND_SERVER = 2
local STATUS_ERROR = 2

-- An OTLP attribute; numbers are integers unless `double` says they are measurements in seconds.
function M.attribute(key, value, double)
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
function M.upstream_seconds(value)
  if not value or value == "" or value == "-" then
    return nil
  end
  local total, found = 0, false
  for number in value:gmatch("[%d.]+") do
    local seconds = tonumber(number)
    if seconds then
      total, found = total + seconds, true
    end
  end
  return found and total or nil
end

-- `var` holds nginx's variables by name, `status` the response status, `start_time` the request's
-- start in seconds (ms resolution, as ngx.req.start_time()), `end_unix_nano` a decimal string.
function M.build(var, status, start_time, end_unix_nano, context)
  local attributes = {}
  local function add(key, value, double)
    attributes[#attributes + 1] = M.attribute(key, value, double)
  end
  add("http.request.method", var.request_method)
  add("url.scheme", var.scheme)
  add("url.path", var.uri)
  add("url.query", var.args)
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
  add("nginx.upstream.response_time", M.upstream_seconds(var.upstream_response_time), true)

  return {
    traceId = context.trace_id,
    spanId = context.span_id,
    parentSpanId = context.parent_id,
    traceState = context.tracestate,
    -- No route is known to nginx; the method alone keeps span names few, as the conventions ask.
    name = var.request_method,
    kind = SPAN_KIND_SERVER,
    -- nginx records a request's start to the millisecond, so the span may begin up to 1 ms early.
    startTimeUnixNano = string.format("%d000000", math.floor(start_time * 1000 + 0.5)),
    endTimeUnixNano = end_unix_nano,
    attributes = attributes,
    -- A server span is an error only for a 5xx; 444 is nginx closing the connection on purpose.
    status = (status >= 500 and status <= 599) and { code = STATUS_ERROR } or {},
  }
end

return M
