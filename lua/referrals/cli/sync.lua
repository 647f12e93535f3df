--- referrals.cli.sync: `referrals sync FILE [--apply] [--concurrency N]` (issue 15). Reads
-- the list, plans it with client:sync, prints the plan (a table on a terminal, JSON
-- otherwise) and with --apply writes it with plan:apply, a progress bar on stderr.
-- @module referrals.cli.sync
local referrals = require "referrals"
local cjson = require("cjson").new()
local output = require "referrals.cli.output"
local progress = require "referrals.cli.progress"

local M = {}

--- The exit code when conflicts or item errors remain.
M.EXIT_CONFLICTS = 5

-- JSON text by lua-cjson, which escapes every "/" (JSON Patch paths are full of them).
local function json(v) return (cjson.encode(v):gsub("\\/", "/")) end

local function usage_error(fmt, ...)
  return referrals.error { category = "usage", code = "usage", message = fmt:format(...) }
end

local function invalid(where, what)
  return referrals.error { category = "validation", code = "json", field = where,
    message = where .. ": " .. what }
end

--- The referrals of FILE's text: a JSON array, or one JSON object per line (blank lines
-- skipped).
-- @string text the file's text
-- @string where its name, for errors
-- @treturn[1] {table,...} the list
-- @return[2] nil
-- @treturn[2] Error err (category `validation`)
function M.read_list(text, where)
  if text:find("^%s*%[") then
    local ok, list = pcall(cjson.decode, text)
    if not ok or type(list) ~= "table" then return nil, invalid(where, "not a JSON array") end
    return list
  end
  local list, n = {}, 0
  for line in (text .. "\n"):gmatch("(.-)\r?\n") do
    n = n + 1
    if line:find("%S") then
      local ok, ref = pcall(cjson.decode, line)
      if not ok or type(ref) ~= "table" then
        return nil, invalid(where .. " line " .. n, "not a JSON object")
      end
      list[#list + 1] = ref
    end
  end
  return list
end

-- Text from the service or the file, safe on a terminal: no control characters.
local function safe(s) return (tostring(s):gsub("%c", "?")) end

local function paths(patch)
  local out = {}
  for i, op in ipairs(patch or {}) do out[i] = op.path end
  return table.concat(out, " ")
end

local function error_fields(err)
  return { category = err.category, code = err.code, message = err.message,
    status = err.status, field = err.field, request_id = err.request_id }
end

local function is_error(v) return getmetatable(v) ~= nil and v.category ~= nil end

-- The plan (and the results of apply) as one JSON object.
local function plan_json(plan, results, counts)
  local items = {}
  for i, item in ipairs(plan.items) do
    local out = { index = item.index, key = item.key, action = item.action, id = item.id,
      etag = item.etag, patch = item.patch, code = item.code, reason = item.reason,
      connect = item.connect, error = item.error and error_fields(item.error) }
    if results then
      local r = results[i]
      if is_error(r) then
        out.result = error_fields(r)
      else
        out.result = "ok"
        out.id = out.id or (type(r) == "table" and r.id or nil)
      end
    end
    items[i] = out
  end
  return json { counts = plan.counts, lookup = plan.lookup, applied = counts, items = items }
end

-- The plan as a table: the counts, then one line per item that is not unchanged.
local function plan_table(plan, results, counts)
  local lines = { tostring(plan) }
  if counts then
    lines[2] = ("applied: %d created, %d updated, %d unchanged, %d conflicts, %d failed")
      :format(counts.created, counts.updated, counts.unchanged, counts.conflict, counts.failed)
  end
  for i, item in ipairs(plan.items) do
    if item.action ~= "unchanged" then
      local what
      if item.action == "update" then
        what = safe(item.id) .. "  " .. paths(item.patch)
      elseif item.action == "create" then
        what = item.connect and "the connected half of " .. safe(item.engagementId) or ""
      elseif item.action == "conflict" then
        what = safe(item.reason)
      else
        what = safe(item.error.message)
      end
      local r = results and results[i]
      if is_error(r) and item.action ~= "conflict" and item.action ~= "error" then
        what = what .. "  FAILED: " .. safe(r.message)
      end
      lines[#lines + 1] = ("%-9s %-5d %-24s %s"):format(item.action, item.index,
        safe(item.key or "-"), what)
    end
  end
  return table.concat(lines, "\n")
end

--- Runs the command: plans the list of FILE, prints the plan, and applies it if asked.
-- @tparam Client client the client
-- @tparam {string} argv the positional arguments (FILE)
-- @tparam table options the parsed options
-- @tparam function read_input the CLI's reader: name ("-": stdin) -> text | nil, err
-- @treturn[1] boolean true when no conflict nor item error remains
-- @return[2] nil
-- @treturn[2] Error err (category `conflict` when some remain, with `exit` = 5)
function M.run(client, argv, options, read_input)
  local concurrency = tonumber(options.concurrency or "8")
  if not concurrency or concurrency < 1 or concurrency > 256 or concurrency % 1 ~= 0 then
    return nil, usage_error("--concurrency: an integer from 1 to 256 expected")
  end
  local text, err = read_input(argv[1])
  if not text then return nil, err end
  local list
  list, err = M.read_list(text, argv[1] == "-" and "stdin" or argv[1])
  if not list then return nil, err end
  local plan
  plan, err = client:sync(list, { extra = options.extra, concurrency = concurrency })
  if not plan then return nil, err end
  local results, counts
  if options.apply then
    local bar = progress.new(plan.counts.create + plan.counts.update)
    results, counts = plan:apply { concurrency = concurrency,
      progress = function(done) bar:update(done) end }
    if results then bar:update(nil, counts.failed) end
    bar:finish()
    if not results then return nil, counts end
  end
  local terminal = output.is_terminal(1)
  io.stdout:write(terminal and plan_table(plan, results, counts) or plan_json(plan, results, counts),
    "\n")
  local left = plan.counts.conflict + plan.counts.error
  if counts and counts.failed > 0 then
    for _, r in ipairs(results) do
      if is_error(r) and r.category ~= "conflict" and r.category ~= "validation" then return nil, r end
    end
  end
  if left > 0 then
    return nil, referrals.error { category = "conflict", code = "conflicts",
      message = ("not synced (conflicts or item errors): %d of %d items"):format(left, #plan.items) }
  end
  return true
end

return M
