-- What a user reads states the rule itself and never cites a section of a document the
-- project does not ship ("spec §1.4"): the messages in the C and Lua sources (their string
-- literals; comments may cite the spec), the READMEs and the examples. The reference is
-- checked by tools/check-docs.lua.
local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function files(pattern)
  local p = assert(io.popen("git ls-files " .. pattern .. " 2>/dev/null || ls " .. pattern))
  local out = {}
  for name in p:lines() do out[#out + 1] = name end
  p:close()
  return out
end

-- The string literals of a source line that is not a comment.
local function literals(line, lua)
  local code = lua and line:gsub("%-%-.*$", "") or line:gsub("/%*.-%*/", ""):gsub("//.*$", "")
  if code:match("^%s*%*") or code:match("^%s*/%*") then return {} end
  local out = {}
  for s in code:gmatch('"([^"]*)"') do out[#out + 1] = s end
  return out
end

describe("user-facing text", function()
  it("in messages of the C and Lua sources cites no spec section", function()
    local found = {}
    for _, pattern in ipairs { "'src/*.c'", "'lua/*.lua'", "bin/referrals" } do
      for _, path in ipairs(files(pattern)) do
        local n = 0
        for line in read(path):gmatch("[^\n]*") do
          n = n + 1
          for _, s in ipairs(literals(line, path:find("%.c$") == nil)) do
            if s:find("spec §", 1, true) then found[#found + 1] = path .. ":" .. n end
          end
        end
      end
    end
    assert.same({}, found)
  end)

  it("in the READMEs and the examples cites no spec section", function()
    local found = {}
    for _, pattern in ipairs { "README.md", "'*/README.md'", "'examples/*'" } do
      for _, path in ipairs(files(pattern)) do
        if read(path):find("spec §", 1, true) then found[#found + 1] = path end
      end
    end
    assert.same({}, found)
  end)
end)
