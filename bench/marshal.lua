-- Marshaling alone, per iteration: validate + encode the documented create request and
-- decode the documented create response, beside lua-cjson's encode + decode of the same
-- data in the same run (no validation on that side). CPU time, best of 5 rounds.
--   lua5.4 bench/marshal.lua [iterations]
local referrals = require "referrals"
local cjson = require "cjson"

package.path = (arg[0]:match("^(.*[/\\])") or "./") .. "?.lua;" .. package.path
local common = require "common"

local request = cjson.decode(common.fixture("create-request.json"))
local response_text = common.fixture("create-response.json")
local N = tonumber(arg and arg[1]) or 20000

local function best_of(rounds, fn)
  local best = math.huge
  for _ = 1, rounds do
    local t0 = os.clock()
    fn()
    local dt = os.clock() - t0
    if dt < best then best = dt end
  end
  return best / N * 1e6 -- microseconds per iteration
end

local function ours()
  local encode_valid, decode = referrals.encode_valid, referrals.decode
  for _ = 1, N do
    assert(encode_valid(request))
    assert(decode(response_text))
  end
end

local function theirs()
  local encode, decode = cjson.encode, cjson.decode
  for _ = 1, N do
    encode(request)
    decode(response_text)
  end
end

ours() -- warm up (arena and buffers reach their steady size)
theirs()
local us_ours = best_of(5, ours)
local us_cjson = best_of(5, theirs)
print(string.format("%-44s %8.2f us/iter", "referrals: validate+encode request, decode response", us_ours))
print(string.format("%-44s %8.2f us/iter", "lua-cjson: encode request, decode response", us_cjson))
print(string.format("ratio referrals / lua-cjson: %.2f (%s, %d iterations)", us_ours / us_cjson,
  _VERSION .. (jit and " " .. jit.version or ""), N))
