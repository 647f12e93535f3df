--- referrals.cli.output: what the `referrals` command writes. A referral is written by the
-- module's schema-driven encoder (referrals.encode: the API's member order); any other value
-- by lua-cjson, the JSON library every Lua user has. Nothing here raises for any value a
-- decoded answer can hold: a value JSON cannot hold is a "json" error object.
-- @module referrals.cli.output
local referrals = require "referrals"
local cjson = require("cjson").new() -- an instance of its own: its settings stay ours

cjson.encode_sparse_array(true) -- a table with holes is written as an object, not refused
cjson.encode_number_precision(14)

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

local function json_error(why)
  return referrals.error { category = "json", code = "output",
    message = "cannot be written as JSON: " .. tostring(why):gsub("^.-:%d+: ", "") }
end

-- DEL and the C1 controls (U+0080..U+009F) are legal raw in a JSON string, and a terminal
-- reads C1 as the start of an escape sequence: written as \u escapes, so the text stays the
-- same JSON.
local function json_safe(text)
  return (text:gsub("\127", "\\u007f"):gsub("\194([\128-\159])", function(c)
    return ("\\u%04x"):format(c:byte())
  end))
end

-- lua-cjson writes every / as \/ (Debian's 2.1.0 has no switch for it): legal JSON, but URLs
-- read badly. Each / it writes follows its own escaping backslash (a backslash of the text is
-- written \\), so dropping the backslash before each / gives the same JSON.
local function generic(value)
  local ok, text = pcall(cjson.encode, value)
  if not ok then return nil, json_error(text) end
  return (text:gsub("\\/", "/"))
end

-- ---- indented output: a walk over the value, scalars written by lua-cjson ----------------

local function fields_of(type_name)
  local t = type_name and referrals.schema.types[type_name]
  return t and t.fields or {}
end

-- The keys of table v in the order they are written: the schema's members first, then the
-- others sorted (their text order is lost in a Lua table).
local function ordered_keys(v, type_name)
  local keys, known = {}, {}
  for _, f in ipairs(fields_of(type_name)) do
    known[f.key] = f
    if v[f.key] ~= nil then keys[#keys + 1] = f.key end
  end
  local rest = {}
  for k in pairs(v) do
    if not known[k] then
      if type(k) ~= "string" then return nil end
      rest[#rest + 1] = k
    end
  end
  table.sort(rest)
  for _, k in ipairs(rest) do keys[#keys + 1] = k end
  return keys, known
end

local function is_array(v)
  local n, count = #v, 0
  for _ in pairs(v) do count = count + 1 end
  return count == n and (n > 0 or getmetatable(v) == referrals.array_mt)
end

-- compact: on one line, without the spaces.
local function write(out, v, type_name, depth, compact)
  if type(v) ~= "table" then
    local text, err = generic(v)
    if not text then return err end
    out[#out + 1] = text
    return nil
  end
  if depth > 64 then return json_error("nested too deep (or a cycle)") end
  local pad, inner = "\n" .. ("  "):rep(depth), "\n" .. ("  "):rep(depth + 1)
  if compact then pad, inner = "", "" end
  if is_array(v) then
    if #v == 0 then out[#out + 1] = "[]" return nil end
    out[#out + 1] = "["
    for i = 1, #v do
      out[#out + 1] = (i > 1 and "," or "") .. inner
      local err = write(out, v[i], type_name, depth + 1, compact)
      if err then return err end
    end
    out[#out + 1] = pad .. "]"
    return nil
  end
  local keys, known = ordered_keys(v, type_name)
  if not keys then return json_error("a table with keys that are not strings") end
  if #keys == 0 then out[#out + 1] = "{}" return nil end
  out[#out + 1] = "{"
  for i, k in ipairs(keys) do
    local f = known[k]
    local sub = f and (f.kind == "object" or f.kind == "object_array") and f.type or nil
    out[#out + 1] = (i > 1 and "," or "") .. inner .. assert(generic(k)) .. (compact and ":" or ": ")
    local err = write(out, v[k], sub, depth + 1, compact)
    if err then return err end
  end
  out[#out + 1] = pad .. "}"
  return nil
end

--- Any value as compact JSON, or nil, err. With is_referral a table is written by
-- referrals.encode (the API's member order); any other table member by member, keys sorted
-- (a list with referrals.array_mt stays a list when empty), or by lua-cjson when it has keys
-- that are not strings (a list with holes); anything else (a null item of a page too) by
-- lua-cjson.
-- @param value a referral table or any JSON-able value
-- @bool[opt] is_referral value is a referral
-- @treturn string|nil the JSON text
-- @treturn[opt] table the error object
function M.json(value, is_referral)
  local text, err
  if is_referral and type(value) == "table" then
    text, err = referrals.encode(value)
  elseif type(value) == "table" then
    local out = {}
    if write(out, value, nil, 0, true) then
      text, err = generic(value)
    else
      text = table.concat(out)
    end
  else
    text, err = generic(value)
  end
  if not text then return nil, err end
  return json_safe(text)
end

--- Any value as JSON indented two spaces a level, or nil, err; a referral (is_referral)
-- with its members in the API's order.
-- @param value the value
-- @bool[opt] is_referral value is a referral
-- @treturn string|nil the JSON text
-- @treturn[opt] table the error object
function M.pretty(value, is_referral)
  local out = {}
  local err = write(out, value, is_referral and "Referral" or nil, 0)
  if err then return nil, err end
  return json_safe(table.concat(out))
end

--- Writes a value as JSON and a newline on stdout: indented when stdout is a terminal,
-- compact (one line, for pipes and `jq`) otherwise. Returns true, or nil, err.
-- @param value the value
-- @bool[opt] is_referral value is a referral (see M.json)
-- @treturn boolean|nil true
-- @treturn[opt] table the error object
function M.print(value, is_referral)
  local text, err
  if M.is_terminal(1) then
    text, err = M.pretty(value, is_referral)
  else
    text, err = M.json(value, is_referral)
  end
  if not text then return nil, err end
  io.stdout:write(text, "\n")
  return true
end

--- A line of text safe for a terminal: control bytes (C0, DEL, C1) written as \xNN.
-- @string text the text
-- @treturn string
function M.safe(text)
  return (tostring(text):gsub("[%z\1-\31\127]", function(c)
    return ("\\x%02x"):format(c:byte())
  end):gsub("\194([\128-\159])", function(c) return ("\\xc2\\x%02x"):format(c:byte()) end))
end

-- The fields of an error object in the order they are written (see referrals.Error).
-- err.value and err.raw_message are left out: they may hold customer data or raw bytes.
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
    local text = err[k] ~= nil and M.json(err[k]) or nil
    if text then parts[#parts + 1] = ('"%s":%s'):format(k, text) end
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
-- <message> [HTTP 404, request-id ...]`), control bytes escaped, then with json_errors the
-- error object as JSON.
-- @tparam table err an error object
-- @bool json_errors also write the object as JSON
function M.report(err, json_errors)
  local extra = {}
  if err.status then extra[#extra + 1] = ("HTTP %d"):format(err.status) end
  if err.request_id then extra[#extra + 1] = "request-id " .. err.request_id end
  local line = tostring(err):gsub("%s+$", ""):gsub("%s*\n%s*", " ")
  if #extra > 0 then line = line .. " [" .. table.concat(extra, ", ") .. "]" end
  io.stderr:write("referrals: ", M.safe(line), "\n")
  -- A validation reports every problem it found, the first above, one line each.
  for i = 2, type(err.errors) == "table" and #err.errors or 0 do
    io.stderr:write("referrals: ", M.safe((tostring(err.errors[i]):gsub("%s*\n%s*", " "))), "\n")
  end
  if json_errors then io.stderr:write(M.error_json(err), "\n") end
end

return M
