-- wrk script: GET /search rotating over bilingual queries (some with facets), and one
-- machine-readable RESULT line at the end. Read key, if any: NEWSDEX_READ_KEY.
local queries = {
  "半导体", "華為 Mate", "tariffs", "\"南京市长江大桥\"", "COVID-19", "人工智能",
  "market OR 市场", "iPhone15", "央行 利率", "climate change", "台灣 選舉", "electric vehicles",
}

local function encode(text)
  return (text:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local paths = {}
for i, query in ipairs(queries) do
  paths[i] = "/search?limit=10&q=" .. encode(query) .. ((i % 3 == 0) and "&facets=true" or "")
end

local headers = {}
local key = os.getenv("NEWSDEX_READ_KEY")
if key and key ~= "" then headers["Authorization"] = "Bearer " .. key end

local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], headers)
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d socket_errors=%d status_errors=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, errors.connect + errors.read + errors.write + errors.timeout,
    errors.status, latency:percentile(50), latency:percentile(99), latency.max))
end
