-- wrk script of scripts/bench/api: GET every page of one domain, round robin, each connection from
-- its own starting page. PAGES_FILE holds one request path per line (a walk of the next_url chain).
-- done() prints one JSON line with wrk's own latency percentiles (microseconds).
local paths = {}
for line in io.lines(os.getenv("PAGES_FILE")) do paths[#paths + 1] = line end
local threads, id = {}, 0

function setup(thread)
  id = id + 1
  thread:set("start", id * 7919)
  table.insert(threads, thread)
end

local i
function request()
  i = ((i or start or 0) % #paths) + 1
  return wrk.format("GET", paths[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,'
    .. '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
