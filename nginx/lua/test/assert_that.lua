-- The few assertions the tests need, each saying what it expected and what it got.
local M = {}

local function show(value)
  return type(value) == "string" and string.format("%q", value) or tostring(value)
end

function M.equal(expected, actual, what)
  if expected ~= actual then
    error((what and (what .. ": ") or "") .. "expected " .. show(expected) .. ", got " .. show(actual), 2)
  end
end

function M.truthy(value, what)
  if not value then
    error((what or "expected a true value") .. ", got " .. show(value), 2)
  end
end

function M.falsy(value, what)
  if value then
    error((what or "expected nil or false") .. ", got " .. show(value), 2)
  end
end

function M.near(expected, actual, tolerance, what)
  if type(actual) ~= "number" or math.abs(expected - actual) > tolerance then
    error((what and (what .. ": ") or "") .. "expected " .. expected .. " ± " .. tolerance .. ", got " .. show(actual), 2)
  end
end

return M
