-- Sends the benchmark's order request on every call and reports the run as one JSON line.
-- Values come from the orchestrator's environment so the request is defined in one place
-- (lib/fixture.ts) and the token is minted fresh for each run.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN")

-- Latency values are microseconds; "status" counts responses that were not 2xx/3xx.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"p50Us":%d,"p99Us":%d,"meanUs":%.1f,"maxUs":%d,' ..
    '"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"non2xx":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end
