-- Runs the exporter's unit tests under plain LuaJIT, no nginx: `luajit nginx/lua/test/run.lua`.
-- Each test_*.lua in this folder returns a list of { name, function }; a test fails by raising an error.
-- Prints one line per test and exits 1 if any failed (or none ran), so a caller can trust the status.
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/../?.lua;" .. here .. "/?.lua;" .. package.path

-- Every test_*.lua beside this runner, in name order, so that a new test file runs without being listed here.
local function test_files()
  local listing = assert(io.popen("ls -1 '" .. here:gsub("'", "'\\''") .. "'"))
  local files = {}
  for name in listing:lines() do
    local module = name:match("^(test_.+)%.lua$")
    if module then files[#files + 1] = module end
  end
  listing:close()
  table.sort(files)
  return files
end

local files = test_files()
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
