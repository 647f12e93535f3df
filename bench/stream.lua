-- `make bench-stream` (issue 16): the peak RSS of create_many and get_many given a table and
-- returning a results table, against the same run given an iterator and opts.on_result, at
-- several sizes, against the bundled server; and of sync, client:sync(list):apply() against
-- client:sync_each(iterator) (op "sync", every item a create). Each row runs in a process of its own (its
-- VmHWM is that row's alone) on a fresh server, whose own memory after the row is printed
-- too: it keeps every referral created.
--   lua bench/stream.lua SERVER_BINARY [ROW...]     ROW: op:mode:n, e.g. get:stream:1000000
--   lua bench/stream.lua --row BASE_URL OP MODE N   one row (what the first form runs)
local referrals = require "referrals"
local cjson = require "cjson"
package.path = (arg[0]:match("^(.*[/\\])") or "./") .. "?.lua;" .. package.path
local common = require "common"

local CONCURRENCY = 8
local sh, now, memory_kb = common.sh, common.now, common.memory_kb

-- One row in this process: prints "seconds peak_kb ok failed".
local function row(base, op, mode, n)
  local text = common.fixture("create-request.json")
  local client = referrals.new { token = "bench", base_url = base, timeout = 60 }
  local function item(i) -- what the i-th item of the job is, made when it is asked for
    local r = cjson.decode(text)
    r.name = "stream bench " .. i
    r.externalReferenceId = "bench-" .. i
    if op == "sync" then r.type = "Independent" end -- one create each (Shared: two)
    return r
  end
  local ids
  if op == "get" then -- gets read a few referrals over and over: the server's store stays small
    local made = assert(client:create_many({ item(1), item(2), item(3), item(4) }))
    ids = {}
    for i, r in ipairs(made) do ids[i] = r.id end
    item = function(i) return ids[(i - 1) % #ids + 1] end
  end
  -- run(job, streaming) -> items written or read, items failed
  local function run(job, streaming)
    local opts = { concurrency = CONCURRENCY, on_result = streaming and function() end or nil }
    if op == "sync" then
      local counts = streaming and assert(client:sync_each(job, opts))
        or select(2, assert(assert(client:sync(job)):apply(opts)))
      return counts.created + counts.updated + counts.unchanged, counts.failed + counts.conflict
    end
    local results = assert((op == "get" and client.get_many or client.create_many)(client, job,
      opts))
    if streaming then return results.ok, results.failed end
    local ok, failed = 0, 0
    for _, r in ipairs(results) do
      if referrals.is_error(r) then failed = failed + 1 else ok = ok + 1 end
    end
    return ok, failed
  end
  collectgarbage()
  local t0 = now()
  local job
  if mode == "table" then
    job = {}
    for i = 1, n do job[i] = item(i) end
  else
    local i = 0
    job = function()
      i = i + 1
      if i <= n then return item(i) end
    end
  end
  local ok, failed = run(job, mode ~= "table")
  local seconds = now() - t0
  client:close()
  print(("%.2f %d %d %d"):format(seconds, (memory_kb("/proc/self/status")), ok, failed))
end

if arg[1] == "--row" then
  row(arg[2], arg[3], arg[4], assert(tonumber(arg[5])))
  os.exit(0)
end

local server_bin = assert(arg[1], "usage: stream.lua SERVER_BINARY [op:mode:n ...]")
local rows = { select(2, ...) }
if #rows == 0 then
  rows = { "create:table:10000", "create:stream:10000", "create:table:100000",
    "create:stream:100000", "get:table:10000", "get:stream:10000", "get:table:100000",
    "get:stream:100000", "get:table:1000000", "get:stream:1000000", "create:stream:1000000",
    -- sync_each looks each chunk up against the store the job has made so far: pages of it
    -- while it is small, then by key (the bundled server has an index of the key)
    "sync:table:10000", "sync:stream:10000", "sync:stream:100000", "sync:stream:1000000" }
end
local interpreter = arg[-1]
print(("bulk that streams: concurrency %d, %s, HTTP/1.1, the bundled server on loopback")
  :format(CONCURRENCY, _VERSION))
print("table: a list in, a results table out; stream: an iterator in, opts.on_result out")
print(("%-8s %-7s %9s %9s %9s %12s %9s %16s"):format("op", "mode", "items", "seconds", "items/s",
  "peak RSS KB", "failed", "server RSS KB"))
for _, spec in ipairs(rows) do
  local op, mode, n = spec:match("^(%a+):(%a+):(%d+)$")
  assert(op, "a row is op:mode:n, e.g. get:stream:1000000")
  local base, pid, stop = common.start_server(server_bin)
  local out = sh(("%q %q --row %s %s %s %s"):format(interpreter, arg[0], base, op, mode, n))
  local seconds, peak, ok, failed = out:match("^(%S+) (%d+) (%d+) (%d+)")
  assert(seconds, "the row failed: " .. out)
  local _, server_rss = memory_kb("/proc/" .. pid .. "/status")
  stop()
  assert(tonumber(ok) + tonumber(failed) == tonumber(n), "not every item has a result: " .. out)
  print(("%-8s %-7s %9d %9.1f %9.0f %12d %9d %16d"):format(op, mode, n, seconds, n / seconds,
    peak, failed, server_rss))
end
