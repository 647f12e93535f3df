-- The documented bodies the repository carries (tests/fixtures/), read as text.
local M = {}

-- tests/fixtures/ beside this file's spec/ folder, wherever the specs run from.
local here = debug.getinfo(1, "S").source:match("^@(.*)spec/fixtures%.lua$") or ""
local dir = here .. "tests/fixtures/"

function M.read(name)
  local f = assert(io.open(dir .. name, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

return M
