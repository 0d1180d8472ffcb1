-- The standard OTEL_* environment variables, read into the exporter's and sampler's settings.
-- Takes a getenv function (os.getenv in nginx, a table's lookup in test/), so it runs without nginx.
local context = require "otel.context"

local M = {}

-- Defaults where the specification's would not keep up with nginx: a batch leaves as soon as it is
-- full, so the delay only bounds how long a quiet worker's last spans wait.
M.DEFAULTS = {
  schedule_delay_ms = 5000, -- OTEL_BSP_SCHEDULE_DELAY, as specified
  max_queue_size = 8192, -- OTEL_BSP_MAX_QUEUE_SIZE, per worker (specified: 2048)
  max_export_batch_size = 512, -- OTEL_BSP_MAX_EXPORT_BATCH_SIZE, as specified
  export_timeout_ms = 10000, -- OTEL_BSP_EXPORT_TIMEOUT, per send and per receive (specified: 30000)
}

local function unescape(value)
  return (value:gsub("%%(%x%x)", function(code) return string.char(tonumber(code, 16)) end))
end

-- "k1=v1,k2=v2" as the OpenTelemetry environment variables write lists (values URL-encoded).
function M.key_values(list)
  local found = {}
  for item in (list or ""):gmatch("[^,]+") do
    local key, value = item:match("^%s*([^=]-)%s*=%s*(.-)%s*$")
    if key and key ~= "" then
      found[#found + 1] = { key, unescape(value) }
    end
  end
  return found
end

-- A whole number of at least `minimum` from the environment, or the default (with a warning if set).
local function whole_number(getenv, name, default, minimum, warnings)
  local text = getenv(name)
  if not text or text == "" then
    return default
  end
  local number = tonumber(text)
  if not number or number < minimum or number ~= math.floor(number) then
    warnings[#warnings + 1] = name .. "=" .. text .. " is not a whole number of at least " .. minimum
      .. "; using " .. default
    return default
  end
  return number
end

local function set(value)
  return value and value ~= "" and value or nil
end

-- Where spans go, or nil and a reason (a warning, or nil when nothing asks for export).
local function endpoint(getenv)
  local url = set(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
  if not url then
    url = set(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
    if not url then
      return nil -- nobody collects spans
    end
    url = url:gsub("/+$", "") .. "/v1/traces"
  end
  local protocol = set(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")) or set(getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
  if protocol and protocol ~= "http/json" then
    return nil, "OTLP protocol " .. protocol .. " is not supported (only http/json); spans are not exported"
  end
  local host, port, path = url:match("^http://([^/:]+):?(%d*)(/.*)$")
  if not host then
    return nil, "only http:// OTLP endpoints are supported, not " .. url .. "; spans are not exported"
  end
  return {
    host = host,
    port = tonumber(port) or 80,
    host_header = port ~= "" and (host .. ":" .. port) or host,
    path = path,
  }
end

local function resource_attributes(getenv)
  local attributes = {}
  local service_name = set(getenv("OTEL_SERVICE_NAME"))
  for _, kv in ipairs(M.key_values(getenv("OTEL_RESOURCE_ATTRIBUTES"))) do
    if kv[1] == "service.name" then
      service_name = service_name or set(kv[2])
    else
      attributes[#attributes + 1] = { key = kv[1], value = { stringValue = kv[2] } }
    end
  end
  attributes[#attributes + 1] = { key = "service.name", value = { stringValue = service_name or "nginx" } }
  attributes[#attributes + 1] = { key = "telemetry.sdk.name", value = { stringValue = "foobar-nginx-lua" } }
  attributes[#attributes + 1] = { key = "telemetry.sdk.language", value = { stringValue = "lua" } }
  return attributes
end

-- { sampler, exporter (nil when spans are not exported), warnings (a list of messages) }.
function M.from_env(getenv)
  local warnings = {}
  local sampler, sampler_warning = context.sampler(getenv("OTEL_TRACES_SAMPLER"), getenv("OTEL_TRACES_SAMPLER_ARG"))
  warnings[#warnings + 1] = sampler_warning

  local exporter, endpoint_warning = endpoint(getenv)
  warnings[#warnings + 1] = endpoint_warning
  if exporter then
    local headers = {}
    for _, kv in ipairs(M.key_values(getenv("OTEL_EXPORTER_OTLP_HEADERS"))) do
      headers[#headers + 1] = kv[1] .. ": " .. kv[2] .. "\r\n"
    end
    exporter.headers = table.concat(headers)
    exporter.resource = { attributes = resource_attributes(getenv) }
    local d = M.DEFAULTS
    exporter.delay = whole_number(getenv, "OTEL_BSP_SCHEDULE_DELAY", d.schedule_delay_ms, 1, warnings) / 1000
    exporter.max_queue_size = whole_number(getenv, "OTEL_BSP_MAX_QUEUE_SIZE", d.max_queue_size, 1, warnings)
    exporter.batch_size = math.min(exporter.max_queue_size,
      whole_number(getenv, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", d.max_export_batch_size, 1, warnings))
    exporter.timeout_ms = whole_number(getenv, "OTEL_BSP_EXPORT_TIMEOUT", d.export_timeout_ms, 1, warnings)
  end
  return { sampler = sampler, exporter = exporter, warnings = warnings }
end

return M
