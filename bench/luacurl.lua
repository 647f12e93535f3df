-- The hand-written comparison of `make bench`: N creates in a row by a script that uses a
-- generic libcurl binding and lua-cjson, validating nothing (what a user writes without this
-- module). Debian packages only Lua-cURL (module "curl", lua-curl), and only for Lua 5.1 and
-- 5.2, so this row runs on Lua 5.1 beside client:create on Lua 5.1. Prints
-- "requests_per_second cpu_us_per_request peak_rss_kb", as bench/client.lua does.
--   lua5.1 bench/luacurl.lua BASE_URL N
local curl = require "curl"
local cjson = require "cjson"
package.path = (arg[0]:match("^(.*[/\\])") or "./") .. "?.lua;" .. package.path
local common = require "common"

local base_url, n = arg[1], tonumber(arg[2])
local request = cjson.decode(common.fixture("create-request.json"))
local now = common.now

local easy = curl.easy_init()
easy:setopt(curl.OPT_URL, base_url .. "/v1.0/engagements/referrals")
easy:setopt(curl.OPT_HTTPHEADER, { "Authorization: Bearer bench", "Content-Type: application/json",
  "Accept: application/json" })
local chunks
easy:setopt(curl.OPT_WRITEFUNCTION, function(buffer, size) -- Lua-cURL 0.3 passes (data, length)
  chunks[#chunks + 1] = buffer
  return size
end)

local function create(referral)
  chunks = {}
  easy:setopt(curl.OPT_POSTFIELDS, cjson.encode(referral))
  assert(easy:perform())
  return cjson.decode(table.concat(chunks))
end

local t0, c0 = now(), os.clock()
for _ = 1, n do assert(create(request).id) end
local c1, t1 = os.clock(), now()
print(string.format("%.0f %.1f %d", n / (t1 - t0), (c1 - c0) / n * 1e6, (common.memory_kb())))
