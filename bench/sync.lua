-- `make bench-sync` (issue 15): client:sync of N items (default 5,000) against the bundled
-- server, half of them existing beforehand (a tenth of those changed in the list). Prints, for
-- each phase (plan, apply, the rerun's plan and apply, and a plan that looks up key by key,
-- CONCURRENCY look-ups at once), the requests the server saw, requests per item, wall time
-- and the process's RSS. With LATENCY_MS the server answers each request that late, as a far
-- service (issue 16).
--   lua bench/sync.lua SERVER_BINARY [N [LATENCY_MS [CONCURRENCY]]]
local referrals = require "referrals"
local cjson = require "cjson"

local server_bin = assert(arg[1], "usage: sync.lua SERVER_BINARY [N [LATENCY_MS [CONCURRENCY]]]")
local n, latency, concurrency = tonumber(arg[2] or 5000), tonumber(arg[3] or 0),
  tonumber(arg[4] or 8)
package.path = (arg[0]:match("^(.*[/\\])") or "./") .. "?.lua;" .. package.path
local common = require "common"
local request = common.fixture("create-request.json")
local sh, now = common.sh, common.now
local base, _, stop = common.start_server(server_bin, "--latency-ms " .. latency)

local function requests()
  return cjson.decode(sh("curl -s " .. base .. "/_fake/stats")).requests
end

local client = referrals.new { token = "bench", base_url = base, timeout = 30 + latency / 1000 }
local list = {}
for i = 1, n do
  local r = cjson.decode(request)
  r.type = "Independent"
  r.externalReferenceId = "crm-" .. i
  r.name = "bench " .. i
  list[i] = r
end
local half = math.floor(n / 2)
local existing = {}
for i = 1, half do existing[i] = list[i] end
assert(client:create_many(existing, { concurrency = concurrency }))
for i = 1, half, 10 do list[i].details.dealValue = 1000 + i end

local rows = {}
local function phase(name, f)
  collectgarbage()
  local r0, t0 = requests(), now()
  local a, b = f()
  local t1 = now()
  local seen = requests() - r0
  rows[#rows + 1] = ("%-22s %8d %9.3f %9.2f %9d %9d"):format(name, seen, seen / n, t1 - t0,
    select(2, common.memory_kb()), (common.memory_kb()))
  return a, b
end

local plan = phase("plan (auto: scan)", function() return assert(client:sync(list)) end)
local summary = tostring(plan)
local _, counts = phase("apply", function() return assert(plan:apply { concurrency = concurrency }) end)
assert(counts.failed == 0, "failures while applying")
local again = phase("rerun: plan", function() return assert(client:sync(list)) end)
assert(again.counts.unchanged == n, "the rerun is not all unchanged: " .. tostring(again))
phase("rerun: apply", function() return assert(again:apply()) end)
local by_key = phase("plan (filter by key)", function()
  return assert(client:sync(list, { lookup = "filter", concurrency = concurrency }))
end)
assert(by_key.counts.unchanged == n)
local small = {}
for i = 1, 10 do small[i] = list[i] end
local few = assert(client:sync(small))

print(("sync of %d items, %d existing beforehand (%d changed), the server %d ms away, "
  .. "concurrency %d; %s"):format(n, half, math.ceil(n / 20), latency, concurrency, summary))
print(("%-22s %8s %9s %9s %9s %9s"):format("phase", "requests", "req/item", "seconds",
  "RSS KB", "peak KB"))
for _, row in ipairs(rows) do print(row) end
print(("a list of 10 items: look-up by %s, %d requests"):format(few.lookup.method,
  few.lookup.requests))
client:close()
stop()
