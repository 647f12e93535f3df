--- referrals.cli.progress: the progress bar of `referrals bulk` and of `referrals list` with
-- all pages, on stderr, only when stderr is a terminal (a log file or a pipe gets nothing:
-- no control characters in logs). Redrawn in place with a carriage return.
-- @module referrals.cli.progress
local output = require "referrals.cli.output"

local M = {}

local WIDTH = 30

local Bar = {}
Bar.__index = Bar

--- A progress bar for total items (nil while the total is unknown); one that draws nothing
-- when stderr is not a terminal.
-- @int[opt] total how many items are expected
-- @treturn Bar the bar
function M.new(total)
  -- os.time: whole seconds, the only wall clock plain Lua has; enough for a rate.
  return setmetatable({ total = total, done = 0, failed = 0, started = os.time(),
    shown = output.is_terminal(2) }, Bar)
end

--- A progress bar: `done/total`, the rate, the failures.
-- @type Bar

--- Redraws the bar's line.
function Bar:draw()
  if not self.shown then return end
  -- Whole seconds: under two, a rate would be mostly the rounding of the clock.
  local elapsed = os.difftime(os.time(), self.started)
  local line
  if self.total and self.total > 0 then
    local filled = math.floor(WIDTH * math.min(self.done / self.total, 1))
    line = ("[%s%s] %d/%d"):format(("#"):rep(filled), ("."):rep(WIDTH - filled), self.done,
      self.total)
  else
    line = ("%d done"):format(self.done)
  end
  local rate = elapsed >= 2 and ("  %.1f/s"):format(self.done / elapsed) or ""
  io.stderr:write(("\r%s%s  %d failed "):format(line, rate, self.failed))
  io.stderr:flush()
end

--- Sets what is known (a nil argument keeps its value) and redraws.
-- @int[opt] done items done
-- @int[opt] failed of which failed
-- @int[opt] total items expected (list --all learns it from the first page)
function Bar:update(done, failed, total)
  self.done = done or self.done
  self.failed = failed or self.failed
  self.total = total or self.total
  self:draw()
end

--- Ends the bar's line, so what follows on stderr starts on a line of its own.
function Bar:finish()
  if self.shown then io.stderr:write("\n") end
end

return M
