-- The module's side of `make bench` (issue 5): N creates in a row (client:create) or through
-- client:create_many, against the loopback nginx. Prints
-- "requests_per_second cpu_us_per_request peak_rss_kb" (CPU: os.clock, user + sys of the
-- process; peak RSS: VmHWM).
--   lua bench/client.lua BASE_URL N [CONCURRENCY HTTP_VERSION]
local referrals = require "referrals"
local cjson = require "cjson"
package.path = (arg[0]:match("^(.*[/\\])") or "./") .. "?.lua;" .. package.path
local common = require "common"

local base_url, n = arg[1], tonumber(arg[2])
local concurrency, http_version = tonumber(arg[3]), arg[4]
local request = cjson.decode(common.fixture("create-request.json"))
local now = common.now

-- BENCH_TIMEOUT (seconds): the timeout and connect_timeout of the client, for a run under
-- valgrind, where 128 TLS handshakes at once outlast the defaults and some were retried.
local slow = tonumber(os.getenv("BENCH_TIMEOUT"))
local client = referrals.new { token = "bench", base_url = base_url, verify = false,
  http_version = http_version == "2" and "2" or "1.1", timeout = slow, connect_timeout = slow }
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
print(string.format("%.0f %.1f %d", n / (t1 - t0), (c1 - c0) / n * 1e6, (common.memory_kb())))
client:close()
