-- The floor under any Lua binding that returns the create response as Lua tables (issue 16):
-- the CPU time Lua itself takes to build those tables, with nothing parsed, validated or
-- encoded. The tables are the ones referrals.decode returns for the documented response,
-- built by a compiled table constructor (sized tables, constant keys and strings already
-- interned): the cheapest way Lua has to make them. Prints "floor_us decode_us", CPU per
-- iteration, best of 5 rounds.
--   lua5.4 bench/floor.lua [iterations]
local referrals = require "referrals"

package.path = (arg[0]:match("^(.*[/\\])") or "./") .. "?.lua;" .. package.path
local common = require "common"

local response_text = common.fixture("create-response.json")
local N = tonumber(arg[1]) or 100000

-- Lua source of a constructor for value v; referrals.null is the upvalue `null`.
local function constructor(v)
  if v == referrals.null then return "null" end
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" then return tostring(v) end
  local parts = {}
  if #v > 0 then
    for i = 1, #v do parts[i] = constructor(v[i]) end
  else
    for k, x in pairs(v) do parts[#parts + 1] = string.format("[%q]=%s", k, constructor(x)) end
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

local source = "local null = ...; return function() return " ..
  constructor(assert(referrals.decode(response_text))) .. " end"
local build = assert((loadstring or load)(source))(referrals.null)

local function best_of(fn)
  fn() -- warm up
  local best = math.huge
  for _ = 1, 5 do
    local t0 = os.clock()
    fn()
    best = math.min(best, os.clock() - t0)
  end
  return best / N * 1e6
end

local floor = best_of(function() for _ = 1, N do build() end end)
local decode = best_of(function()
  local d = referrals.decode
  for _ = 1, N do assert(d(response_text)) end
end)
print(string.format("%.2f %.2f", floor, decode))
