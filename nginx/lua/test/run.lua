-- Runs the exporter's unit tests under plain LuaJIT, no nginx: `luajit nginx/lua/test/run.lua`.
-- Each test_*.lua returns a list of { name, function }; a test fails by raising an error.
-- Prints one line per test and exits 1 if any failed (or none ran), so a caller can trust the status.
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/../?.lua;" .. here .. "/?.lua;" .. package.path

local files = { "test_context", "test_queue", "test_span", "test_config" }
local passed, failed = 0, 0
for _, file in ipairs(files) do
  local loaded, tests = pcall(require, file)
  if not loaded then
    failed = failed + 1
    print("FAILED  " .. file .. ": cannot be loaded\n" .. tostring(tests))
    tests = {}
  end
  for _, test in ipairs(tests) do
    local ok, err = xpcall(test[2], debug.traceback)
    if ok then
      passed = passed + 1
      print("ok      " .. file .. ": " .. test[1])
    else
      failed = failed + 1
      print("FAILED  " .. file .. ": " .. test[1] .. "\n" .. tostring(err))
    end
  end
end
print(string.format("%d passed, %d failed", passed, failed))
os.exit((failed == 0 and passed > 0) and 0 or 1)
