-- `make bench-sync` (issue 15): client:sync of N items (default 5,000) against the bundled
-- server, half of them existing beforehand (a tenth of those changed in the list). Prints, for
-- each phase (plan, apply, the rerun's plan and apply, and a plan that looks up key by key),
-- the requests the server saw, requests per item, wall time and the process's RSS.
--   lua bench/sync.lua SERVER_BINARY [N]
local referrals = require "referrals"
local cjson = require "cjson"

local server_bin, n = assert(arg[1], "usage: sync.lua SERVER_BINARY [N]"), tonumber(arg[2] or 5000)
local here = arg[0]:match("^(.*[/\\])") or ""
local file = assert(io.open(here .. "../tests/fixtures/create-request.json", "rb"))
local request = file:read("*a")
file:close()

local function sh(command)
  local p = assert(io.popen(command))
  local out = p:read("*a")
  p:close()
  return out
end

local function now() return tonumber(sh("date +%s.%N")) end

local function rss_kb(which)
  for line in io.lines("/proc/self/status") do
    local kb = line:match("^" .. which .. ":%s*(%d+)")
    if kb then return tonumber(kb) end
  end
end

local dir = sh("mktemp -d"):gsub("%s+$", "")
os.execute(("%s --port 0 --port-file %s/port --max-records 100 >%s/log 2>&1 & echo $! >%s/pid")
  :format(server_bin, dir, dir, dir))
local port
for _ = 1, 100 do
  local pf = io.open(dir .. "/port")
  port = pf and tonumber(pf:read("*a"))
  if pf then pf:close() end
  if port then break end
  os.execute("sleep 0.05")
end
local pid = sh("cat " .. dir .. "/pid"):gsub("%s+$", "")
local base = "http://127.0.0.1:" .. assert(port, "the server did not start")
local function stop() os.execute("kill " .. pid .. "; rm -rf " .. dir) end

local function requests()
  return cjson.decode(sh("curl -s " .. base .. "/_fake/stats")).requests
end

local client = referrals.new { token = "bench", base_url = base, timeout = 30 }
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
assert(client:create_many(existing, { concurrency = 8 }))
for i = 1, half, 10 do list[i].details.dealValue = 1000 + i end

local rows = {}
local function phase(name, f)
  collectgarbage()
  local r0, t0 = requests(), now()
  local a, b = f()
  local t1 = now()
  local seen = requests() - r0
  rows[#rows + 1] = ("%-22s %8d %9.3f %9.2f %9d %9d"):format(name, seen, seen / n, t1 - t0,
    rss_kb("VmRSS"), rss_kb("VmHWM"))
  return a, b
end

local plan = phase("plan (auto: scan)", function() return assert(client:sync(list)) end)
local summary = tostring(plan)
local _, counts = phase("apply", function() return assert(plan:apply { concurrency = 8 }) end)
assert(counts.failed == 0, "failures while applying")
local again = phase("rerun: plan", function() return assert(client:sync(list)) end)
assert(again.counts.unchanged == n, "the rerun is not all unchanged: " .. tostring(again))
phase("rerun: apply", function() return assert(again:apply()) end)
local by_key = phase("plan (filter by key)", function()
  return assert(client:sync(list, { lookup = "filter" }))
end)
assert(by_key.counts.unchanged == n)
local small = {}
for i = 1, 10 do small[i] = list[i] end
local few = assert(client:sync(small))

print(("sync of %d items, %d existing beforehand (%d changed); %s"):format(n, half,
  math.ceil(n / 20), summary))
print(("%-22s %8s %9s %9s %9s %9s"):format("phase", "requests", "req/item", "seconds",
  "RSS KB", "peak KB"))
for _, row in ipairs(rows) do print(row) end
print(("a list of 10 items: look-up by %s, %d requests"):format(few.lookup.method,
  few.lookup.requests))
client:close()
stop()
