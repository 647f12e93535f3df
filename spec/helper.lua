-- spec/helper.lua: the bundled local Partner API server (fake-server/) for the specs,
-- and a raw client for its control API (/_fake/...). Control calls go through the curl
-- command line, never through the module under test, so what a spec learns about the wire
-- does not depend on the code it checks.
--
--   local server = helper.start { "--token", TOKEN, "--page-size", "2" }
--   server.base_url, server.reset(), server.requests(), server.faults{...}, server.stop()
local cjson = require "cjson"

local M = {}

-- s quoted for the shell.
local function quote(s)
  return "'" .. tostring(s):gsub("'", [['\'']]) .. "'"
end
M.quote = quote

--- The interpreter running busted (the lowest index of arg), so that a spec runs a script
-- under the same Lua version as itself.
function M.interpreter()
  local i = 0
  while arg[i - 1] do i = i - 1 end
  return arg[i]
end

-- 5.1 returns the exit status, 5.2+ true or nil.
local function succeeded(status) return status == true or status == 0 end

-- Runs a shell command; returns its stdout and its exit status.
local function run(command)
  local p = assert(io.popen(command .. "; printf '\\n%s' $?"))
  local out = p:read("*a")
  p:close()
  local text, status = out:match("^(.-)%s*(%d+)$") -- trailing newlines dropped
  return text, tonumber(status)
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  return text
end

local function sleep(seconds) os.execute("sleep " .. seconds) end

M.read_file, M.sleep = read_file, sleep

-- The version of the libcurl that the curl command line uses (the module links the same
-- system library): "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 ...".
function M.libcurl_version()
  local text = run("env -u LD_PRELOAD curl --version")
  return assert(text:match("libcurl/([%d.]+)"), "no libcurl version in curl --version")
end

local hex = "[0-9a-f]"
-- A version-4 GUID in lower case, 8-4-4-4-12.
M.GUID = "^" .. hex:rep(8) .. "%-" .. hex:rep(4) .. "%-4" .. hex:rep(3) .. "%-[89ab]" ..
  hex:rep(3) .. "%-" .. hex:rep(12) .. "$"

--- The fake server's program: REFERRALS_FAKE_SERVER (tools/run-tests.sh sets it), else the
-- Lua 5.4 build tree's copy.
function M.server_program()
  return os.getenv("REFERRALS_FAKE_SERVER") or "build/lua5.4/referrals-fake-server"
end

--- Starts the fake server on a free port (--port 0 --port-file) in the background, with
-- args added to its command line (with --cert/--key it serves https). Returns a server
-- table; call server.stop() when done.
function M.start(args)
  local bin = M.server_program()
  local dir, remove_dir = M.tempdir()
  local extra = ""
  for _, a in ipairs(args or {}) do extra = extra .. " " .. quote(a) end
  os.execute(quote(bin) .. " --port 0 --port-file " .. quote(dir .. "/port") .. extra ..
    " >" .. quote(dir .. "/log") .. " 2>&1 & echo $! > " .. quote(dir .. "/pid"))
  local pid = tonumber(read_file(dir .. "/pid") or "")
  local port
  for _ = 1, 200 do -- 10 s
    port = tonumber(read_file(dir .. "/port") or "")
    if port then break end
    sleep(0.05)
  end
  if not port then
    if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
    error("the fake server did not start: " .. (read_file(dir .. "/log") or "no log"))
  end

  local https = false
  for _, a in ipairs(args or {}) do https = https or a == "--cert" end
  local server = { port = port, pid = pid,
    base_url = (https and "https" or "http") .. "://127.0.0.1:" .. port }

  function server.stop()
    os.execute("kill " .. pid .. " 2>/dev/null")
    for _ = 1, 100 do
      if not succeeded(os.execute("kill -0 " .. pid .. " 2>/dev/null")) then break end
      sleep(0.05)
    end
    remove_dir()
  end

  -- One control call; returns the decoded JSON answer (nil for an empty one).
  function server.control(method, path, body)
    -- env -u LD_PRELOAD: the sanitizer run preloads libasan, which hangs the curl tool
    local cmd = "env -u LD_PRELOAD curl -sS -f " .. (https and "-k " or "") .. "-X " .. method .. " " ..
      quote(server.base_url .. "/_fake/" .. path)
    if body then cmd = cmd .. " -H 'Content-Type: application/json' --data-binary " .. quote(body) end
    local out, status = run(cmd)
    assert(status == 0, "control call " .. method .. " /_fake/" .. path .. " failed: " .. out)
    if out == "" then return nil end
    return cjson.decode(out)
  end

  -- The requests recorded since the last reset (from index since, counted from 0).
  function server.requests(since)
    return server.control("GET", "requests" .. (since and "?since=" .. since or ""))
  end
  function server.reset() server.control("POST", "reset", "") end
  --- The requests after index since, each as M.wire shows it (token: the client's).
  function server.wire(since, token)
    local out = {}
    for i, r in ipairs(server.requests(since)) do out[i] = M.wire(r, token) end
    return out
  end
  function server.faults(spec) server.control("POST", "faults", cjson.encode(spec)) end
  -- The stored referrals, as the server keeps them.
  function server.referrals() return server.control("GET", "referrals") end

  return server
end

--- A recorded request in a form a spec compares whole with assert.same. What changes from
-- run to run is replaced by marks: a client-request-id that is a v4 GUID becomes "<guid>",
-- the expected bearer token "Bearer <token>" (so a failed comparison never prints the
-- token; any other value becomes "<another token>"), a Content-Length that is the body's
-- length "<body length>", and the body is decoded by lua-cjson (kept as text if it is not
-- JSON).
function M.wire(record, token)
  local headers = {}
  for k, v in pairs(record.headers) do headers[k] = v end
  local id = headers["client-request-id"]
  if type(id) == "string" and id:match(M.GUID) then headers["client-request-id"] = "<guid>" end
  if headers.authorization ~= nil then
    headers.authorization = headers.authorization == "Bearer " .. token and "Bearer <token>"
      or "<another token>"
  end
  if headers["content-length"] == tostring(#record.body) then
    headers["content-length"] = "<body length>"
  end
  local body = nil
  if record.body ~= "" then
    local ok, decoded = pcall(cjson.decode, record.body)
    body = ok and decoded or record.body
  end
  return { method = record.method, path = record.path, query = record.query,
    headers = headers, body = body }
end

--- The headers every request of a client carries (as M.wire shows them), plus extra.
function M.headers(server, extra)
  local h = {
    host = "127.0.0.1:" .. server.port,
    ["user-agent"] = "referrals-lua/" .. require("referrals")._VERSION .. " libcurl/" .. M.libcurl_version(),
    ["content-type"] = "application/json",
    accept = "application/json",
    ["client-request-id"] = "<guid>",
    authorization = "Bearer <token>",
  }
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

--- Wall-clock seconds with sub-second precision (date +%s.%N), for specs that time waits.
function M.now()
  return tonumber((run("date +%s.%N")))
end

--- The seconds f takes to run, and its results.
function M.timed(f, ...)
  local started = M.now()
  local results = { f(...) }
  return M.now() - started, results[1], results[2]
end

--- A temporary directory, removed by the function returned with it.
function M.tempdir()
  local dir = assert(run("mktemp -d"))
  return dir, function() os.execute("rm -rf " .. quote(dir)) end
end

--- Runs a shell command; true when it exits with 0.
function M.sh(command)
  local _, status = run("(" .. command .. ") >/dev/null 2>&1")
  return status == 0
end

--- The error raised by f (pcall), for specs that check what a wrong argument says.
function M.raised(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(err)
end

return M
