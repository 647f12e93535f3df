--- referrals.cli.output: what the `referrals` command writes. JSON comes from the module's own
-- encoder (referrals.encode), so the command needs no JSON library of its own at run time.
-- @module referrals.cli.output
local referrals = require "referrals"

local M = {}

local terminal = {}

--- Whether file descriptor fd (1: stdout, 2: stderr) is a terminal. Plain Lua cannot ask
-- isatty(3) without luaposix, so this asks the shell once per descriptor: the child inherits
-- our descriptors, so `test -t 2` answers for our own stderr.
-- @int fd the descriptor
-- @treturn boolean
function M.is_terminal(fd)
  if terminal[fd] == nil then
    local status = os.execute("test -t " .. fd)
    terminal[fd] = status == true or status == 0 -- 5.1 and LuaJIT: 0; 5.2+: true
  end
  return terminal[fd]
end

--- Any Lua value as compact JSON, or nil, err. A referral is written in the API's member
-- order by referrals.encode; any other value goes through the same encoder as an unknown
-- member of a wrapper table (encode keeps those verbatim), then the wrapper is cut off.
-- @param value a referral table or any JSON-able value
-- @bool[opt] is_referral value is a referral
-- @treturn string|nil the JSON text
-- @treturn[opt] table the error object
function M.json(value, is_referral)
  if is_referral then return referrals.encode(value) end
  local text, err = referrals.encode { v = value }
  if not text then return nil, err end
  return text:sub(#'{"v":' + 1, -2)
end

local function indent(depth) return "\n" .. ("  "):rep(depth) end

--- Indents compact JSON text, two spaces a level; `{}` and `[]` stay on one line.
-- @string text compact JSON (as M.json writes it)
-- @treturn string
function M.pretty(text)
  local out, depth, i = {}, 0, 1
  while i <= #text do
    local at = text:find('[%[%]{},:"]', i) or #text + 1
    out[#out + 1] = text:sub(i, at - 1) -- a number or a literal
    local c = text:sub(at, at)
    i = at + 1
    if c == '"' then
      local q = text:find('["\\]', i)
      while text:sub(q, q) == "\\" do q = text:find('["\\]', q + 2) end -- skip escapes
      out[#out + 1] = text:sub(at, q)
      i = q + 1
    elseif (c == "{" or c == "[") and text:find("^[%]}]", i) then
      out[#out + 1] = c .. text:sub(i, i)
      i = i + 1
    elseif c == "{" or c == "[" then
      depth = depth + 1
      out[#out + 1] = c .. indent(depth)
    elseif c == "}" or c == "]" then
      depth = depth - 1
      out[#out + 1] = indent(depth) .. c
    elseif c == "," then
      out[#out + 1] = "," .. indent(depth)
    elseif c == ":" then
      out[#out + 1] = ": "
    end
  end
  return table.concat(out)
end

--- Writes JSON text and a newline on stdout: indented when stdout is a terminal, compact
-- (one line, for pipes and `jq`) otherwise.
-- @string text compact JSON
function M.print(text)
  io.stdout:write(M.is_terminal(1) and M.pretty(text) or text, "\n")
end

-- The fields of an error object in the order they are written (see referrals.Error).
local ERROR_FIELDS = { "category", "code", "message", "status", "field", "target", "position",
  "request_id", "retry_after", "attempts", "retryable" }

--- An error object as compact JSON, fields in a fixed order; the referral of a half-done
-- shared creation (err.created) is included, and so is err.errors when a validation found
-- more than one problem.
-- @tparam table err an error object
-- @treturn string
function M.error_json(err)
  local parts = {}
  for _, k in ipairs(ERROR_FIELDS) do
    if err[k] ~= nil then parts[#parts + 1] = ('"%s":%s'):format(k, M.json(err[k])) end
  end
  if type(err.errors) == "table" and #err.errors > 1 then -- every problem of a validation
    local list = {}
    for i, e in ipairs(err.errors) do list[i] = M.error_json(e) end
    parts[#parts + 1] = '"errors":[' .. table.concat(list, ",") .. "]"
  end
  if type(err.created) == "table" then
    parts[#parts + 1] = '"created":' .. (M.json(err.created, true) or "null")
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

--- Reports an error on stderr: one readable line (`referrals: <category> error (<code>):
-- <message> [HTTP 404, request-id ...]`), then with json_errors the error object as JSON.
-- @tparam table err an error object
-- @bool json_errors also write the object as JSON
function M.report(err, json_errors)
  local extra = {}
  if err.status then extra[#extra + 1] = ("HTTP %d"):format(err.status) end
  if err.request_id then extra[#extra + 1] = "request-id " .. err.request_id end
  local line = tostring(err):gsub("%s+$", ""):gsub("%s*\n%s*", " ")
  if #extra > 0 then line = line .. " [" .. table.concat(extra, ", ") .. "]" end
  io.stderr:write("referrals: ", line, "\n")
  -- A validation reports every problem it found, the first above, one line each.
  for i = 2, type(err.errors) == "table" and #err.errors or 0 do
    io.stderr:write("referrals: ", (tostring(err.errors[i]):gsub("%s*\n%s*", " ")), "\n")
  end
  if json_errors then io.stderr:write(M.error_json(err), "\n") end
end

return M
