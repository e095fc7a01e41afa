-- wrk script: POST /articles, 10 new articles (JSON Lines) per request with ids unique to
-- this run, thread and request; one RESULT line at the end. Key: NEWSDEX_API_KEY.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local run = tostring(os.time())
local key = os.getenv("NEWSDEX_API_KEY") or ""
local counter = 0

request = function()
  counter = counter + 1
  local lines = {}
  for n = 1, 10 do
    local id = string.format("load-%s-%d-%d-%d", run, thread_number or 0, counter, n)
    lines[n] = string.format(
      '{"id":"%s","lang":"zh-Hans","title":"负载测试文章 %d 半导体 load test","body":"这是一篇负载测试文章，编号%d。Markets and tariffs: load test article %d.","source":"loadtest","category":"test","date":"2024-05-01"}',
      id, counter, n, n)
  end
  return wrk.format("POST", "/articles",
    { ["Content-Type"] = "application/x-ndjson", ["Authorization"] = "Bearer " .. key },
    table.concat(lines, "\n"))
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d socket_errors=%d status_errors=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, errors.connect + errors.read + errors.write + errors.timeout,
    errors.status, latency:percentile(50), latency:percentile(99), latency.max))
end
