-- wrk script: posts through the real form at a modest rate. bench.py fills in the token, cookie and body.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.body = os.getenv("BENCH_BODY")

-- Each connection waits this long between posts: a steady trickle of writes, not a write storm.
function delay()
  return tonumber(os.getenv("BENCH_DELAY_MS") or "50")
end
