-- One version number everywhere: REFERRALS_VERSION in include/referrals.h is the source;
-- referrals._VERSION (and its alias VERSION), the rockspec's file name and version, the
-- CMake project (through referrals.pc of the build tree) and `referrals --version` agree.
local referrals = require "referrals"
local helper = require "helper"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

describe("the version", function()
  local v = read("include/referrals.h"):match('#define REFERRALS_VERSION "([%d.]+)"')

  it("is referrals._VERSION, with VERSION as an alias", function()
    assert.matches("^%d+%.%d+%.%d+$", v)
    assert.equal(v, referrals._VERSION)
    assert.equal(v, referrals.VERSION)
  end)

  it("is the rockspec's, in its file name and its version", function()
    local p = assert(io.popen("ls *.rockspec"))
    local names = {}
    for name in p:lines() do names[#names + 1] = name end
    p:close()
    assert.same({ "referrals-" .. v .. "-1.rockspec" }, names)
    assert.truthy(read(names[1]):find('\nversion = "' .. v .. '%-1"\n'))
  end)

  it("is referrals.pc's, which CMake writes from the header", function()
    local pc = read("build/lua5.4/referrals.pc")
    assert.truthy(pc:find("\nVersion: " .. v:gsub("%.", "%%.") .. "\n"), pc)
  end)

  it("is what referrals --version prints", function()
    local p = assert(io.popen("LUA_PATH=" .. helper.quote(package.path) .. " LUA_CPATH=" ..
      helper.quote(package.cpath) .. " " .. helper.quote(helper.interpreter()) ..
      " bin/referrals --version"))
    local out = p:read("*a")
    p:close()
    assert.truthy(out:find("^referrals " .. v:gsub("%.", "%%.") .. " %("), out)
  end)
end)
