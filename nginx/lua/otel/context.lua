-- W3C trace context and head sampling, with no nginx in sight, so test/ runs them under plain LuaJIT.
local M = {}

-- A valid traceparent (https://www.w3.org/TR/trace-context/#traceparent-header), or nil.
function M.parse_traceparent(value)
  if type(value) ~= "string" then
    return nil -- absent
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

function M.format_traceparent(trace_id, span_id, sampled)
  return "00-" .. trace_id .. "-" .. span_id .. (sampled and "-01" or "-00")
end

-- OTEL_TRACES_SAMPLER's values this exporter knows: what decides a root, and whether a parent decides.
local SAMPLERS = {
  always_on = { root = "on" },
  always_off = { root = "off" },
  traceidratio = { root = "ratio" },
  parentbased_always_on = { root = "on", parent_based = true },
  parentbased_always_off = { root = "off", parent_based = true },
  parentbased_traceidratio = { root = "ratio", parent_based = true },
}
M.DEFAULT_SAMPLER = "parentbased_always_on"

-- The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name, and a warning when either was
-- not understood (the specification's fallbacks are used then: the default sampler, ratio 1.0).
function M.sampler(name, arg)
  local warning
  name = (name or ""):match("^%s*(.-)%s*$"):lower()
  if name == "" then
    name = M.DEFAULT_SAMPLER
  elseif not SAMPLERS[name] then
    warning = "OTEL_TRACES_SAMPLER=" .. name .. " is not supported; using " .. M.DEFAULT_SAMPLER
    name = M.DEFAULT_SAMPLER
  end
  local kind = SAMPLERS[name]
  local ratio = 1.0
  if kind.root == "ratio" and arg and arg:find("%S") then
    local number = tonumber(arg)
    if number and number >= 0 and number <= 1 then
      ratio = number
    else
      warning = "OTEL_TRACES_SAMPLER_ARG=" .. arg .. " is not a ratio from 0 to 1; using 1.0"
    end
  end
  return { name = name, root = kind.root, parent_based = kind.parent_based == true, ratio = ratio }, warning
end

-- As OpenTelemetry .NET's TraceIdRatioBasedSampler decides, so nginx and the app agree: the trace id's
-- first 8 bytes as a signed 64-bit number, its absolute value below ratio * 2^63. Doubles round the
-- low bits, which moves the boundary by less than 1e-15 of the range.
function M.trace_id_in_ratio(trace_id, ratio)
  if ratio >= 1 then
    return true
  elseif ratio <= 0 then
    return false
  end
  local value = tonumber(trace_id:sub(1, 8), 16) * 2 ^ 32 + tonumber(trace_id:sub(9, 16), 16)
  if value >= 2 ^ 63 then
    value = 2 ^ 64 - value -- negative in two's complement: its absolute value
  end
  return value < ratio * 2 ^ 63
end

-- Whether a request's span is recorded. `incoming` is the parsed traceparent, or nil when nginx is
-- the root; a parent-based sampler follows the caller's sampled flag, the others decide for themselves.
function M.should_sample(sampler, trace_id, incoming)
  if incoming and sampler.parent_based then
    return incoming.sampled
  end
  if sampler.root == "on" then
    return true
  elseif sampler.root == "off" then
    return false
  end
  return M.trace_id_in_ratio(trace_id, sampler.ratio)
end

return M
