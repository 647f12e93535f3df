-- tools/soak.lua [CALLS [WARMUP]]: the soak run of issues 4 and 12. CALLS creates and gets
-- (half each, default 100000) against the bundled server, one call in a hundred meeting an
-- injected fault of every kind the server has: 503, 429, 500, a delay past the timeout, an
-- answer cut off halfway, the connection closed before the request is applied, after it is
-- applied (without a byte of answer, on a kept-alive connection that libcurl would reuse),
-- and while idle. Every create carries an externalReferenceId, so a create whose outcome is
-- in doubt is resolved by the client's lookup. Every tenth fault window also runs a
-- create_many of 10 with a create closed after it was applied. Then: every referral asked
-- for exists exactly once on the server, every item has a result, no create is left in doubt,
-- and the resident memory of this process grew by at most 1 MiB after the first WARMUP calls
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

-- The faults, in turn. On creates only what the client can settle (retry-safe answers, or
-- outcomes in doubt that the externalReferenceId lookup resolves); a POST closed before it
-- is applied cannot be told from one applied, so it stays in doubt by design and is only
-- injected on gets here (faults_spec covers it on creates).
local FAULTS = {
  { status = 503, match = { method = "POST" } },
  { status = 500, match = { method = "GET" } },
  { status = 429, match = { method = "POST" } },
  { drop = true, match = { method = "GET" } },
  { close = "after_apply", match = { method = "POST" } },
  { status = 503, match = { method = "GET" } },
  { drop = true, match = { method = "POST" } },
  { close = "before_apply", match = { method = "GET" } },
  { close = "when_idle", match = { method = "POST" } },
  { delay_ms = 1500, match = { method = "GET" } },
  { close = "after_apply", match = { method = "GET" } },
  { close = "when_idle", match = { method = "GET" } },
}

local function referral(i)
  return { type = "Independent", externalReferenceId = "soak-" .. i,
    customerProfile = { name = "Soak " .. i, address = { country = "US" } },
    consent = { consentToShareReferralWithMicrosoftSellers = false },
    details = { dealValue = i, currency = "USD" } }
end

local server = helper.start { "--token", TOKEN, "--max-records", "100" }
local client = referrals.new { token = TOKEN, base_url = server.base_url, timeout = 1,
  retries = 3, retry_delay = 0.001, max_retry_delay = 0.01 }

local started = os.time()
local asked, failures, faults, in_doubt, no_result, bulk_items = 0, {}, 0, 0, 0, 0
local last_id
local rss_after_warmup
for call = 1, CALLS do
  local fault
  if call % 100 == 50 then
    faults = faults + 1
    fault = FAULTS[faults % #FAULTS + 1]
    server.faults(fault)
  end
  local ok, err
  if call % 2 == 1 or not last_id then
    asked = asked + 1
    ok, err = client:create(referral(asked))
    if ok then last_id = ok.id end
  else
    ok, err = client:get(last_id)
  end
  if not ok then
    failures[#failures + 1] = err.code
    if err.in_doubt then in_doubt = in_doubt + 1 end
  end
  -- "while idle": the server closes the connection a moment after its answer
  if fault and fault.close == "when_idle" then os.execute("sleep 0.01") end
  if call % 1000 == 500 then
    server.faults { close = "after_apply", match = { method = "POST" } }
    local batch = {}
    for i = 1, 10 do batch[i] = referral(asked + i) end
    asked = asked + 10
    bulk_items = bulk_items + 10
    local results = assert(client:create_many(batch, { concurrency = 4 }))
    for i = 1, 10 do
      local r = results[i]
      if r == nil then
        no_result = no_result + 1
      elseif type(r) ~= "table" or not r.id then -- an err in place
        failures[#failures + 1] = tostring(type(r) == "table" and r.code)
        if type(r) == "table" and r.in_doubt then in_doubt = in_doubt + 1 end
      end
    end
  end
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

local duplicates, missing = 0, 0
for i = 1, asked do
  if (seen[i] or 0) > 1 then duplicates = duplicates + 1 end
  if not seen[i] then missing = missing + 1 end
end
print(("# %d calls (%d creates, %d of them in create_many), %d faults injected, %d calls failed (%s), %d s"):format(
  CALLS, asked, bulk_items, faults, #failures, table.concat(failures, " "):sub(1, 200), os.time() - started))
print(("# %d duplicates, %d referrals missing, %d items without a result, %d creates in doubt"):format(
  duplicates, missing, no_result, in_doubt))
print(("# resident memory: %d KiB after %d calls, %d KiB at the end: %+d KiB"):format(
  rss_after_warmup or 0, WARMUP, rss_end, growth))
print((#wrong == 0 and "ok" or "not ok") .. " - every referral asked for exists exactly once"
  .. (#wrong == 0 and "" or ": " .. table.concat(wrong, ", "):sub(1, 300)))
print((no_result == 0 and "ok" or "not ok") .. " - every create_many item has a result")
print((in_doubt == 0 and "ok" or "not ok") .. " - no create is left in doubt")
print((growth <= 1024 and "ok" or "not ok") .. " - resident memory grew by at most 1 MiB after "
  .. WARMUP .. " calls")
-- every failure is a get that met a fault its retries could not get past
local unexpected = 0
for _, code in ipairs(failures) do if code ~= "RECV" and code ~= "TIMEOUT" then unexpected = unexpected + 1 end end
print((unexpected == 0 and "ok" or "not ok") .. " - no call failed but gets past their retries")
os.exit((#wrong == 0 and no_result == 0 and in_doubt == 0 and growth <= 1024 and unexpected == 0)
  and 0 or 1)
