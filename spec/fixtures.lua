-- The shared fixtures (shared/fixtures/), read as text.
local M = {}

local dir = (os.getenv("REFERRALS_SHARED") or "../shared") .. "/fixtures/"

function M.read(name)
  local f = assert(io.open(dir .. name, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

return M
