-- wrk's script for scripts/limits.sh --overload: counts every answer by status, and those that are nginx's own
-- built-in error pages (they say <center>nginx</center>), in all threads; done() prints them one a line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  builtin = 0
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if body and string.find(body, "<center>nginx</center>", 1, true) then
    builtin = builtin + 1
  end
end

function done(summary, latency, requests)
  local total, pages = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
    pages = pages + thread:get("builtin")
  end
  for status, count in pairs(total) do
    io.write(string.format("flood-status %d %d\n", status, count))
  end
  io.write(string.format("flood-builtin %d\n", pages))
end
