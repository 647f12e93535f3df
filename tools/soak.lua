-- tools/soak.lua [CALLS [WARMUP]]: issue 4's soak run. CALLS creates and gets (half each,
-- default 100000) against the fake server, one call in a hundred meeting an injected fault
-- (503 or 429 on a create, 500, 503 or a dropped connection on a get, a dropped answer to a
-- create). Then: every referral asked for exists exactly once on the server, and the
-- resident memory of this process grew by at most 1 MiB after the first WARMUP calls
-- (default 10000). Prints the figures, and TAP lines for tools/run-tests.sh.
-- Needs the environment of tools/run-tests.sh (LUA_PATH, LUA_CPATH, REFERRALS_FAKE_SERVER).
local referrals = require "referrals"
local helper = require "helper"

local CALLS = tonumber(arg[1]) or 100000
local WARMUP = tonumber(arg[2]) or 10000
local TOKEN = "soak-token"

local function rss_kib()
  for line in io.lines("/proc/self/status") do
    local kib = line:match("^VmRSS:%s+(%d+)")
    if kib then return tonumber(kib) end
  end
end

-- The faults, in turn: retry-safe ones on creates (so each create succeeds), anything on gets,
-- and a dropped answer to a create (the referral exists; the client must not post it again).
local FAULTS = {
  { status = 503, match = { method = "POST" } },
  { status = 500, match = { method = "GET" } },
  { status = 429, match = { method = "POST" } },
  { drop = true, match = { method = "GET" } },
  { status = 503, match = { method = "GET" } },
  { drop = true, match = { method = "POST" } },
}

local function referral(i)
  return { type = "Independent", externalReferenceId = "soak-" .. i,
    customerProfile = { name = "Soak " .. i, address = { country = "US" } },
    consent = { consentToShareReferralWithMicrosoftSellers = false },
    details = { dealValue = i, currency = "USD" } }
end

local server = helper.start { "--token", TOKEN, "--max-records", "100" }
local client = referrals.new { token = TOKEN, base_url = server.base_url, timeout = 10,
  retries = 3, retry_delay = 0.001, max_retry_delay = 0.01 }

local started = os.time()
local asked, failures, faults = 0, {}, 0
local last_id
local rss_after_warmup
for call = 1, CALLS do
  if call % 100 == 50 then
    faults = faults + 1
    server.faults(FAULTS[faults % #FAULTS + 1])
  end
  local ok, err
  if call % 2 == 1 or not last_id then
    asked = asked + 1
    ok, err = client:create(referral(asked))
    if ok then last_id = ok.id end
  else
    ok, err = client:get(last_id)
  end
  if not ok then failures[#failures + 1] = err.code end
  if call == WARMUP then
    collectgarbage()
    rss_after_warmup = rss_kib()
  end
end
collectgarbage()
local rss_end = rss_kib()
client:close()

local seen = {}
for _, r in ipairs(server.referrals()) do
  local i = tonumber((r.externalReferenceId or ""):match("^soak%-(%d+)$"))
  if i then seen[i] = (seen[i] or 0) + 1 end
end
server.stop()

local wrong = {}
for i = 1, asked do
  if seen[i] ~= 1 then wrong[#wrong + 1] = ("soak-%d: %d times"):format(i, seen[i] or 0) end
end
local growth = rss_end - (rss_after_warmup or rss_end)

print(("# %d calls (%d creates), %d faults injected, %d calls failed (%s), %d s"):format(
  CALLS, asked, faults, #failures, table.concat(failures, " "):sub(1, 200), os.time() - started))
print(("# resident memory: %d KiB after %d calls, %d KiB at the end: %+d KiB"):format(
  rss_after_warmup or 0, WARMUP, rss_end, growth))
print((#wrong == 0 and "ok" or "not ok") .. " - every referral asked for exists exactly once"
  .. (#wrong == 0 and "" or ": " .. table.concat(wrong, ", "):sub(1, 300)))
print((growth <= 1024 and "ok" or "not ok") .. " - resident memory grew by at most 1 MiB after "
  .. WARMUP .. " calls")
-- every failure is the dropped answer to a create (not retried, by design), nothing else
local unexpected = 0
for _, code in ipairs(failures) do if code ~= "RECV" then unexpected = unexpected + 1 end end
print((unexpected == 0 and "ok" or "not ok") .. " - the only failures are dropped answers to creates")
os.exit((#wrong == 0 and growth <= 1024 and unexpected == 0) and 0 or 1)
