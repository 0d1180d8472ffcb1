-- wrk script: posts through the real form at a modest rate. bench.py fills in the token, cookie and body; each
-- post gets a key of its own (the form's hidden Key field), as a visitor's each new form does, so every post is an insert.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
local body = os.getenv("BENCH_BODY")

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local last = "AQgw"  -- a key's last character carries 2 bits and 4 zero bits (FooBar.Web/Data/PostKey.cs)

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init()
  math.randomseed(os.time() * 1000 + (seed or 0))
end

local function key()
  local chars = {}
  for i = 1, 21 do
    local n = math.random(#alphabet)
    chars[i] = alphabet:sub(n, n)
  end
  local n = math.random(#last)
  chars[22] = last:sub(n, n)
  return table.concat(chars)
end

function request()
  return wrk.format(nil, nil, nil, body .. "&Key=" .. key())
end

-- Each connection waits this long between posts: a steady trickle of writes, not a write storm.
function delay()
  return tonumber(os.getenv("BENCH_DELAY_MS") or "50")
end
