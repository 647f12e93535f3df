-- tools/check-docs.lua DOCDIR: the docs check of `make test`. DOCDIR holds what `ldoc -d
-- DOCDIR .` wrote. Prints one TAP line per public function: every function of the loaded
-- module `referrals` and of referrals.Client, and of every other referrals.* module the
-- module and the CLI load (referrals.auth, referrals.cli...). The list comes from the module
-- at run time, so a function added without a doc comment fails here, and none is forgotten.
local dir = assert(arg[1], "usage: check-docs.lua DOCDIR")
local referrals = require "referrals"
require "referrals.cli"

-- The anchors LDoc wrote on a module's page: one per documented item.
local function anchors(module)
  local f = io.open(dir .. "/modules/" .. module .. ".html", "rb")
  local set = {}
  if not f then return set end
  for name in f:read("*a"):gmatch('<a name = "([^"]+)"') do set[name] = true end
  f:close()
  return set
end

local checks = {} -- { page, anchor }

local function functions_of(t, page, prefix)
  for k, v in pairs(t) do
    if type(v) == "function" and type(k) == "string" then checks[#checks + 1] = { page, prefix .. k } end
  end
end

functions_of(referrals, "referrals", "")
functions_of(referrals.Client, "referrals", "Client:")
for name, m in pairs(package.loaded) do
  -- referrals.core is documented as referrals; referrals.client returns Client (above)
  if type(name) == "string" and name:find("^referrals%.") and type(m) == "table"
    and m ~= referrals.Client and name ~= "referrals.core" then
    functions_of(m, name, "")
  end
end
table.sort(checks, function(a, b) return a[1] .. " " .. a[2] < b[1] .. " " .. b[2] end)

local pages, failed = {}, 0
for i, c in ipairs(checks) do
  local page, anchor = c[1], c[2]
  pages[page] = pages[page] or anchors(page)
  local ok = pages[page][anchor]
  if not ok then failed = failed + 1 end
  print(("%s %d - %s: %s has a doc comment"):format(ok and "ok" or "not ok", i, page, anchor))
end
print("1.." .. #checks)
os.exit(failed == 0 and 0 or 1)
