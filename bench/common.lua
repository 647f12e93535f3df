-- What the Lua scripts of bench/ share: the fixtures, a wall clock, a process's memory and the
-- bundled server started on a free port. Each script finds this file beside itself:
--   package.path = (arg[0]:match("^(.*[/\\])") or "./") .. "?.lua;" .. package.path
local M = {}

local here = arg[0]:match("^(.*[/\\])") or "./"

--- The output of a shell command.
function M.sh(command)
  local p = assert(io.popen(command))
  local out = p:read("*a")
  p:close()
  return out
end

--- The text of tests/fixtures/NAME.
function M.fixture(name)
  local f = assert(io.open(here .. "../tests/fixtures/" .. name, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

--- Wall-clock seconds (os.clock is CPU time; os.time whole seconds).
function M.now() return tonumber(M.sh("date +%s.%N")) end

--- VmHWM and VmRSS (KB) of a process: its /proc status file, this process's by default.
function M.memory_kb(status_file)
  local m = {}
  for line in io.lines(status_file or "/proc/self/status") do
    local name, kb = line:match("^(Vm%u%a+):%s*(%d+)")
    if name then m[name] = tonumber(kb) end
  end
  return m.VmHWM, m.VmRSS
end

--- Starts the bundled server (program server_bin, with the options more_args, a string) on a
-- free loopback port; returns its base URL, its pid and a function that stops it.
function M.start_server(server_bin, more_args)
  local dir = M.sh("mktemp -d"):gsub("%s+$", "")
  os.execute(("%s --port 0 --port-file %s/port --max-records 100 %s >%s/log 2>&1 & echo $! >%s/pid")
    :format(server_bin, dir, more_args or "", dir, dir))
  local port
  for _ = 1, 100 do
    local pf = io.open(dir .. "/port")
    port = pf and tonumber(pf:read("*a"))
    if pf then pf:close() end
    if port then break end
    os.execute("sleep 0.05")
  end
  local pid = M.sh("cat " .. dir .. "/pid"):gsub("%s+$", "")
  return "http://127.0.0.1:" .. assert(port, "the server did not start"), pid,
    function() os.execute("kill " .. pid .. "; rm -rf " .. dir) end
end

return M
