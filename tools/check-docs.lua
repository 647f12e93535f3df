-- tools/check-docs.lua DOCDIR: the docs check of `make test`. DOCDIR holds what `ldoc -d
-- DOCDIR .` wrote. Prints one TAP line per public function: every function of the loaded
-- module `referrals` and of referrals.Client, and of every other referrals.* module the
-- module and the CLI load (referrals.auth, referrals.cli...). The list comes from the module
-- at run time, so a function added without a doc comment fails here, and none is forgotten.
local dir = assert(arg[1], "usage: check-docs.lua DOCDIR")
local referrals = require "referrals"
require "referrals.cli"

-- The entries LDoc wrote on a module's page: anchor -> the HTML of its entry (up to the next).
local function anchors(module)
  local f = io.open(dir .. "/modules/" .. module .. ".html", "rb")
  local set = {}
  if not f then return set end
  local html = f:read("*a")
  f:close()
  local starts = {}
  for at, name in html:gmatch('()<a name = "([^"]+)"') do starts[#starts + 1] = { at, name } end
  for i, s in ipairs(starts) do
    set[s[2]] = html:sub(s[1], (starts[i + 1] or { #html + 1 })[1] - 1)
  end
  return set
end

local checks = {} -- { page, anchor }

local function functions_of(t, page, prefix)
  for k, v in pairs(t) do
    -- a name starting with _ is a test aid of the specs, not API
    if type(v) == "function" and type(k) == "string" and not k:find("^_") then
      checks[#checks + 1] = { page, prefix .. k }
    end
  end
end

functions_of(referrals, "referrals", "")
functions_of(referrals.Client, "referrals", "Client:")
for name, m in pairs(package.loaded) do
  -- referrals.core is documented as referrals; referrals.client returns Client (above)
  if type(name) == "string" and name:find("^referrals%.") and type(m) == "table"
    and m ~= referrals.Client and name ~= "referrals.core" and name ~= "referrals.client" then
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
-- Every function the README names (`referrals.x(`, `client:x(`) has its entry, which says
-- what it returns.
local readme = assert(io.open("README.md", "rb")):read("*a")
local named, n = {}, #checks
for module, fn in readme:gmatch("(%f[%w]%a+)[.:]([%w_]+)%(") do
  local anchor = (module == "client" and "Client:" or module == "referrals" and "" or nil)
  if anchor and not named[anchor .. fn] and not fn:find("^_") then
    named[anchor .. fn] = true
    pages.referrals = pages.referrals or anchors("referrals")
    local entry = pages.referrals[anchor .. fn]
    local ok = entry and entry:find("Returns:", 1, true)
    if not ok then failed = failed + 1 end
    n = n + 1
    print(("%s %d - README names %s%s: its reference entry says what it returns"):format(
      ok and "ok" or "not ok", n, anchor, fn))
  end
end
-- The reference states rules; it never cites sections of a document the project does not ship.
for _, page in ipairs { "index.html", "modules/referrals.html", "modules/referrals.auth.html",
  "modules/referrals.cli.html" } do
  local f = io.open(dir .. "/" .. page, "rb")
  local html = f and f:read("*a") or ""
  if f then f:close() end
  local ok = html ~= "" and not html:find("spec &sect;", 1, true) and not html:find("spec §", 1, true)
  if not ok then failed = failed + 1 end
  n = n + 1
  print(("%s %d - %s cites no unshipped document"):format(ok and "ok" or "not ok", n, page))
end
print("1.." .. n)
os.exit(failed == 0 and 0 or 1)
