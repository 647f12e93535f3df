-- The module's side of `make bench` (issue 5): N creates in a row (client:create) or through
-- client:create_many, against the loopback nginx. Prints
-- "requests_per_second cpu_us_per_request peak_rss_kb" (CPU: os.clock, user + sys of the
-- process; peak RSS: VmHWM).
--   lua bench/client.lua BASE_URL N [CONCURRENCY HTTP_VERSION]
local referrals = require "referrals"
local cjson = require "cjson"

local base_url, n = arg[1], tonumber(arg[2])
local concurrency, http_version = tonumber(arg[3]), arg[4]
local fixtures = (arg[0]:match("^(.*[/\\])") or "") .. "../tests/fixtures/"
local f = assert(io.open(fixtures .. "create-request.json", "rb"))
local request = cjson.decode(f:read("*a"))
f:close()

local function now()
  local p = io.popen("date +%s.%N")
  local t = tonumber(p:read("*l"))
  p:close()
  return t
end

local function peak_rss_kb()
  for line in io.lines("/proc/self/status") do
    local kb = line:match("^VmHWM:%s*(%d+)")
    if kb then return tonumber(kb) end
  end
end

local client = referrals.new { token = "bench", base_url = base_url, verify = false,
  http_version = http_version == "2" and "2" or "1.1" }
local list
if concurrency then
  list = {}
  for i = 1, n do list[i] = request end
end

local t0, c0 = now(), os.clock()
if concurrency then
  local results = assert(client:create_many(list, { concurrency = concurrency,
    http_version = http_version }))
  for i = 1, n do assert(results[i].id, tostring(results[i])) end
else
  for _ = 1, n do assert(client:create(request)) end
end
local c1, t1 = os.clock(), now()
print(string.format("%.0f %.1f %d", n / (t1 - t0), (c1 - c0) / n * 1e6, peak_rss_kb()))
client:close()
