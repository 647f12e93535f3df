--- referrals.sync: client:sync(list [, opts]) -> plan, and plan:apply([opts]) (issue 15).
-- Makes Partner Center match a list of referrals keyed by `externalReferenceId`, writing only
-- differences, with the plan shown before anything is written. Added to the methods of every
-- client, as referrals.client adds its helpers; all marshaling stays in C.
--
-- What may be patched comes from referrals.schema (a member is replaced by PATCH when its
-- descriptor is patchable and not read-only), status moves from referrals.transition_allowed:
-- no list of fields or rules is written here.
-- @submodule referrals
local core = require "referrals.core"
require "referrals.client" -- targets_partner, connect, create_shared

local Client = core.Client
local types = core.schema.types
local null = core.null

-- The descriptors of each type by key, built once from referrals.schema.
local fields_of = {}
for name, t in pairs(types) do
  local by_key = {}
  for _, f in ipairs(t.fields) do by_key[f.key] = f end
  fields_of[name] = by_key
end

-- The members planning reads besides those the items give (the look-up's $select).
local PLANNING = { "id", "eTag", "externalReferenceId", "engagementId", "type", "status",
  "substatus", "direction", "target" }

local function is_string(v) return type(v) == "string" end
local function is_null(v) return v == nil or v == null end

local function check_arg(ok, n, name, expected, value)
  if not ok then
    error(("bad argument #%d to '%s' (%s expected, got %s)"):format(n, name, expected, type(value)), 3)
  end
end

-- ---- comparing ----------------------------------------------------------------------------

local same

-- Objects of type_name (nil: unknown members) are the same when every member is, ignoring
-- the server's read-only members (what the service adds is no difference) and null = absent.
local function same_object(a, b, type_name)
  local fields = type_name and fields_of[type_name] or {}
  for k, v in pairs(a) do
    local f = fields[k]
    if not (f and f.read_only) and not same(v, b[k], f and f.type, f and f.kind) then return false end
  end
  for k, v in pairs(b) do
    local f = fields[k]
    if a[k] == nil and not is_null(v) and not (f and f.read_only) then return false end
  end
  return true
end

-- Whether a (the wanted value) and b (the stored one) are the same value of a field of kind.
function same(a, b, type_name, kind)
  if is_null(a) or is_null(b) then return is_null(a) and is_null(b) end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  if kind == "object_array" or kind == "string_array" then
    if #a ~= #b then return false end
    for i = 1, #a do
      if not same(a[i], b[i], type_name, kind == "object_array" and "object" or nil) then
        return false
      end
    end
    return true
  end
  return same_object(a, b, kind == "object" and type_name or nil)
end

-- The items want adds at the end of the array have (same otherwise), or nil: a patch then
-- appends them with "add" at path/- (spec §1.5 lists /team/- and the like) instead of
-- replacing the whole array.
local function appended(want, have, f)
  if f.kind ~= "object_array" and f.kind ~= "string_array" then return nil end
  if type(want) ~= "table" or type(have) ~= "table" or #have == 0 or #want <= #have then
    return nil
  end
  local item_kind = f.kind == "object_array" and "object" or nil
  for i = 1, #have do
    if not same(want[i], have[i], f.type, item_kind) then return nil end
  end
  local out = {}
  for i = #have + 1, #want do out[#out + 1] = want[i] end
  return out
end

-- The JSON Patch that makes have (nil: absent) what want says, member by member of want
-- (members it leaves out are not synced), appended to ops; differences no PATCH can make are
-- appended to problems. Objects that cannot be replaced whole are walked into, so a change
-- of details.notes is /details/notes, not /details.
local function diff(want, have, type_name, prefix, ops, problems)
  local fields = fields_of[type_name]
  for _, f in ipairs(types[type_name].fields) do
    local v = want[f.key]
    if v ~= nil then
      local path = prefix .. "/" .. f.key
      local cur = have and have[f.key]
      local replaceable = f.patchable and not f.read_only
      if f.kind == "object" and not replaceable and type(v) == "table" then
        diff(v, type(cur) == "table" and cur or nil, f.type, path, ops, problems)
      elseif not same(v, cur, f.type, f.kind) then
        local more = replaceable and appended(v, cur, f)
        if more then
          for _, x in ipairs(more) do ops[#ops + 1] = { op = "add", path = path .. "/-", value = x } end
        elseif replaceable then
          ops[#ops + 1] = { op = is_null(cur) and "add" or "replace", path = path, value = v }
        else
          problems[#problems + 1] = path .. (f.read_only and " is read-only"
            or " cannot be changed by PATCH")
        end
      end
    end
  end
  for k in pairs(want) do
    if not fields[k] then
      problems[#problems + 1] = prefix .. "/" .. tostring(k) .. " is not a member of a " .. type_name
    end
  end
end

-- The service accepts an outgoing referral when it is created (spec §1.4): a list that says
-- status New for one sync created is not asking to move it back from Active/Accepted.
local function as_created(want, have)
  if want.status == "New" and have.status == "Active" and have.substatus == "Accepted"
    and have.direction == "Outgoing" then
    local copy = {}
    for k, v in pairs(want) do copy[k] = v end
    copy.status, copy.substatus = "Active", "Accepted"
    return copy
  end
  return want
end

-- ---- planning -------------------------------------------------------------------------------

local function conflict(item, code, reason)
  item.action, item.code, item.reason = "conflict", code, reason
  return item
end

-- Plans item against the one referral that holds its key: update, unchanged or conflict.
local function plan_existing(item, have)
  item.id, item.etag, item.engagementId = have.id, have.eTag, have.engagementId
  item.patch, item.code, item.reason = nil, nil, nil
  local want = as_created(item.referral, have)
  local ops, problems = {}, {}
  diff(want, have, "Referral", "", ops, problems)
  if #problems > 0 then return conflict(item, "not_patchable", table.concat(problems, "; ")) end
  for _, op in ipairs(ops) do
    if op.path == "/status" or op.path == "/substatus" then
      local from = is_string(have.status) and have.status or "None"
      local to = want.status or have.status
      local sub = want.substatus or have.substatus
      local ok, why = core.transition_allowed(from, is_string(to) and to or "None",
        is_string(sub) and sub or nil)
      if not ok then
        return conflict(item, "transition", ("status: %s -> %s%s refused: %s"):format(from,
          tostring(to), is_string(sub) and "/" .. sub or "", why))
      end
      break
    end
  end
  if #ops > 0 then
    item.action, item.patch = "update", ops
  else
    item.action = item.connect and "create" or "unchanged"
  end
  return item
end

local function ids(list)
  local out = {}
  for i, r in ipairs(list) do out[i] = tostring(r.id) end
  return table.concat(out, ", ")
end

-- Plans item against every referral that holds its key. A Shared item (spec §3.2) owns one
-- referral of an engagement and expects the connected half for the partner beside it.
local function plan_item(client, item, matches, partner, extra)
  local own, halves = matches, {}
  if item.shared then
    own = {}
    for _, r in ipairs(matches) do
      if client:targets_partner(r, partner) then halves[#halves + 1] = r else own[#own + 1] = r end
    end
  end
  if #own > 1 then
    return conflict(item, "duplicate", ("%d referrals hold externalReferenceId %q: %s"):format(
      #own, item.key, ids(own)))
  end
  if #own == 0 then
    if #halves > 0 then
      return conflict(item, "engagement", ("externalReferenceId %q is held only by connected "
        .. "halves (%s), none of ours"):format(item.key, ids(halves)))
    end
    local ok, err = core.validate(item.referral, { extra = extra })
    if not ok then
      item.action, item.error = "error", err
      return item
    end
    item.action = "create"
    return item
  end
  for _, r in ipairs(halves) do
    if r.engagementId ~= own[1].engagementId then
      return conflict(item, "engagement", ("connected half %s of externalReferenceId %q is in "
        .. "another engagement"):format(tostring(r.id), item.key))
    end
  end
  if #halves > 1 then
    return conflict(item, "engagement", ("the engagement of %q has %d connected halves: %s")
      :format(item.key, #halves, ids(halves)))
  end
  item.connect = item.shared and #halves == 0 or nil -- half-made: spec §3.2 step 2 is due
  return plan_existing(item, own[1])
end

-- The members the look-up selects: the planning's own and every known top-level member the
-- items give.
local function selection(list)
  local seen, out = {}, {}
  local function add(k)
    if not seen[k] and fields_of.Referral[k] then seen[k], out[#out + 1] = true, k end
  end
  for _, k in ipairs(PLANNING) do add(k) end
  for _, want in ipairs(list) do
    if type(want) == "table" then
      for k in pairs(want) do if is_string(k) then add(k) end end
    end
  end
  return out
end

-- Every referral holding one of the keys (keys[k] = true; order: the keys in input order),
-- as found[key] = { referral... }, and { method =, requests = }.
-- Two ways (spec §1.2): pages of the whole list with $select, O(referrals / page size)
-- requests, one after the other (each page names the next); or one
-- $filter=externalReferenceId eq '...' per key, O(keys), concurrency of them at once
-- (client:list_many; nil: its default). "auto" reads the
-- first page with $count=true, which says how many pages remain, and goes on with whichever
-- costs fewer requests (pages, if the service refuses the filter).
local function look_up(client, keys, order, select, how, concurrency)
  local found, requests = {}, 0
  local function keep(page)
    for _, r in ipairs(page.value) do
      if type(r) == "table" and is_string(r.externalReferenceId) and keys[r.externalReferenceId] then
        local list = found[r.externalReferenceId] or {}
        list[#list + 1] = r
        found[r.externalReferenceId] = list
      end
    end
  end
  local function follow(page)
    while page.next do
      local err
      page, err = client:list(page.next)
      requests = requests + 1
      if not page then return nil, err end
      keep(page)
    end
    return true
  end
  local function scan_from(page)
    local ok, err = follow(page)
    if not ok then return nil, err end
    return found, { method = "scan", requests = requests }
  end
  if #order == 0 then return found, { method = "none", requests = 0 } end
  local first -- auto's first page, to go on from if the service refuses the filter
  if how ~= "filter" then
    local page, err = client:list { select = select, count = how == "auto" or nil }
    requests = requests + 1
    if not page then return nil, err end
    keep(page)
    local method = "scan"
    if how == "auto" and page.next and #page.value > 0 and page.count then
      local left = math.ceil((page.count - #page.value) / #page.value)
      if #order < left then method = "filter" end
    end
    if method == "scan" then return scan_from(page) end
    first, found = page, {} -- the filtered look-ups below find every match again
  end
  local function query(n) return { filter = { externalReferenceId = order[n] }, select = select } end
  -- The API documents externalReferenceId among no filterable fields: one look-up comes
  -- first, and where the service refuses the filter (400), auto pages through the list
  -- instead. The others then go at once (a far service answers each after its latency).
  local page, err = client:list(query(1))
  requests = requests + 1
  if not page and first and err.status == 400 then
    keep(first)
    return scan_from(first)
  end
  if not page then return nil, err end
  local pages, failed = { page }, nil -- failed: the first look-up that failed
  local n = 1
  local ok, run_err = client:list_many(function()
    n = n + 1
    return order[n] and query(n)
  end, { concurrency = concurrency, on_result = function(i, got, why)
    requests = requests + 1
    if not got then
      if not failed or i < failed.i then failed = { i = i, err = why } end
    else
      pages[#pages + 1] = got
    end
  end })
  if not ok then return nil, run_err end
  if failed then return nil, failed.err end
  for _, got in ipairs(pages) do
    keep(got)
    local followed, ferr = follow(got)
    if not followed then return nil, ferr end
  end
  return found, { method = "filter", requests = requests }
end

local Plan = {}
Plan.__index = Plan

local ACTIONS = { "create", "update", "unchanged", "conflict", "error" }

local LOOKUPS = { auto = true, scan = true, filter = true }

-- opts.concurrency of sync or sync_each: nil, or transfers in flight as bulk runs take them.
local function check_concurrency(n, name)
  check_arg(n == nil or (type(n) == "number" and n >= 1 and n <= 256 and n % 1 == 0), 2, name,
    "opts.concurrency: an integer from 1 to 256", n)
end

-- The plan of list (opts checked), its items numbered from offset + 1: their places in the
-- job (0 for a list; for sync_each, the items of the chunks before).
local function plan_list(self, list, opts, offset)
  local how = opts.lookup or "auto"
  local partner = opts.partner or "msft"
  local items, keys, order, first = {}, {}, {}, {}
  for i = 1, #list do
    local want, index = list[i], offset + i
    local item = { index = index, referral = want }
    items[i] = item
    if type(want) ~= "table" then
      item.action, item.error = "error", core.error { category = "validation", code = "type",
        message = ("item %d: a referral table expected, got %s"):format(index, type(want)) }
    elseif not is_string(want.externalReferenceId) or want.externalReferenceId == "" then
      item.action, item.error = "error", core.error { category = "validation",
        code = "required", field = "externalReferenceId",
        message = ("item %d: externalReferenceId: the key of sync is required"):format(index) }
    else
      local key = want.externalReferenceId
      item.key, item.shared = key, want.type == "Shared" or nil
      if first[key] then
        conflict(item, "duplicate", ("items %d and %d of the list share externalReferenceId %q")
          :format(first[key].index, index, key))
        if first[key].action ~= "conflict" then
          conflict(first[key], "duplicate", item.reason)
        end
      else
        first[key], keys[key], order[#order + 1] = item, true, key
      end
    end
  end
  local found, lookup = look_up(self, keys, order, selection(list), how, opts.concurrency)
  if not found then return nil, lookup end
  local counts = {}
  for _, a in ipairs(ACTIONS) do counts[a] = 0 end
  for _, item in ipairs(items) do
    if not item.action then plan_item(self, item, found[item.key] or {}, partner, opts.extra) end
    counts[item.action] = counts[item.action] + 1
  end
  return setmetatable({ items = items, counts = counts, lookup = lookup, client = self,
    opts = opts }, Plan)
end

--- Plans making Partner Center match list; writes nothing: `client:sync(list [, opts])`.
-- Each referral of list (as for create) needs a string `externalReferenceId`, its key. The
-- existing referrals with those keys are looked up, then each item is planned
-- (`item.action`):
--
-- - `"create"`: no referral has the key (for a Shared item whose own half exists but whose
--   connected half is missing, `item.connect` is true: the rerun completes it);
-- - `"update"`: one has, and a member the item gives differs: `item.patch` is the minimal
--   JSON Patch (only paths the API lets a PATCH change), with `item.id`, `item.etag`;
-- - `"unchanged"`;
-- - `"conflict"`, with `item.reason` and `item.code`: several referrals share the key
--   (`duplicate`, also for keys given twice in the list), a difference no PATCH can make
--   (`not_patchable`: `type`, `name`, a read-only member...), a status move the transition
--   table forbids (`transition`), halves of a shared engagement that do not fit (`engagement`);
-- - `"error"`, with `item.error`: the item has no key, or cannot be created as it is.
--
-- Only the members an item gives are compared (members it leaves out are not synced); null
-- and absent are the same; an item with status New matches an outgoing referral the service
-- accepted on create (Active/Accepted).
--
-- Co-sell: an item with `type = "Shared"` asks for a shared engagement (the two referrals of
-- a co-sell: ours, and the connected one for the partner, default Microsoft): apply
-- creates it with client:create_shared, and a rerun that finds the engagement half-made (its
-- connected half missing) completes it with client:connect instead of starting a new one.
-- @tparam {table,...} list the referrals
-- @tparam[opt] table opts `lookup` (`"auto"`, the default, `"scan"` or `"filter"`: how
-- existing referrals are found, see plan.lookup; auto pages through the list when the
-- service refuses the filter by key); `concurrency`: look-ups by filter in flight (default
-- 8, as for client:list_many); `partner` and `invite` for the connected
-- halves (as for create_shared); `extra` (as for create: members the schema does not know,
-- sent as given by the creates; planning compares only the members the schema knows)
-- @treturn[1] Plan the plan: `items` (in input order), `counts` (`create`, `update`,
-- `unchanged`, `conflict`, `error`), `lookup` (`method`: `"scan"` pages of the list with
-- `$select`, or `"filter"` one `$filter` per key; `requests`: how many it made);
-- `tostring(plan)` is a one-line summary
-- @return[2] nil
-- @treturn[2] Error err when the look-up failed
function Client:sync(list, opts)
  check_arg(type(list) == "table", 1, "sync", "table", list)
  check_arg(opts == nil or type(opts) == "table", 2, "sync", "table or nil", opts)
  opts = opts or {}
  check_arg(LOOKUPS[opts.lookup or "auto"], 2, "sync", 'opts.lookup "auto", "scan" or "filter"',
    opts.lookup)
  check_concurrency(opts.concurrency, "sync")
  return plan_list(self, list, opts, 0)
end

function Plan:__tostring()
  local c = self.counts
  return ("sync plan: %d to create, %d to update, %d unchanged, %d conflicts, %d errors "
    .. "(look-up: %s, %d requests)"):format(c.create, c.update, c.unchanged, c.conflict,
    c.error, self.lookup.method, self.lookup.requests)
end

-- ---- applying -------------------------------------------------------------------------------

local function conflict_error(item)
  return core.error { category = "conflict", code = item.code, field = "externalReferenceId",
    message = item.reason }
end

-- After a 412 on item's update (the referral changed since the plan read it): the referral
-- is read again, the item re-planned once, and its new patch, if any, sent with the new eTag.
-- Returns the referral, or nil, err.
local function replan(plan, item)
  local client = plan.client
  item.replanned = true
  local have, err = client:get(item.id)
  if not have then return nil, err end
  plan_existing(item, have)
  if item.action == "conflict" then return nil, conflict_error(item) end
  if not item.patch then return have end
  return client:update(item.id, item.patch, { etag = item.etag, extra = plan.opts.extra })
end

-- Writes an update (and the missing connected half) of item; a 412 re-plans it (replan).
-- Returns the referral or true, or nil, err.
local function write_existing(plan, item)
  local client = plan.client
  local r, err = true
  if item.patch then
    r, err = client:update(item.id, item.patch, { etag = item.etag, extra = plan.opts.extra })
    if not r and err.status == 412 and not item.replanned then r, err = replan(plan, item) end
    if not r then return nil, err end
  end
  if item.connect then
    local other, cerr = client:connect(item.engagementId, { partner = plan.opts.partner,
      invite = plan.opts.invite, extra = plan.opts.extra })
    if not other then return nil, cerr end
    if r == true then r = other end
  end
  return r
end

-- The outcome r of item: counted, and into results or to on_result (an Error as err).
local function counted(counts, item, r)
  local failed = getmetatable(r) ~= nil and r.category ~= nil
  if item.action == "conflict" then
    counts.conflict = counts.conflict + 1
  elseif failed then
    counts.failed = counts.failed + 1
  elseif item.action == "unchanged" then
    counts.unchanged = counts.unchanged + 1
  elseif item.action == "update" then
    counts.updated = counts.updated + 1
  else
    counts.created = counts.created + 1
  end
  return failed
end

-- The error of a run that a callback (on_result, the iterator) stopped, as create_many gives
-- it (code `aborted`).
local function stopped_by(message, what)
  return core.error { category = "transport", code = "aborted",
    message = ("the run stopped: %s raised an error: %s"):format(what or "on_result",
      tostring(message)) }
end

-- Whether item goes through the one create_many run of apply.
local function in_batch(item)
  return item.action == "create" and not item.shared and not item.connect
end

-- Whether item goes through the one update_many run of apply.
local function in_update_batch(item)
  return item.action == "update" and item.patch and not item.connect
end

--- Writes the plan: `plan:apply([opts])`. Creates go through client:create_many in one run
-- (concurrency, progress, its exactly-once rules); Shared items through client:create_shared;
-- updates through client:update_many in one run, with `If-Match` = the eTag read while
-- planning. An update that gets 412 (the referral changed since) re-reads that referral after
-- the run, re-plans the item once and sends the new patch, if any, with the new eTag.
-- Conflicts and errors write nothing. With `on_result`, each item's outcome goes to it as it
-- is final (the creates of the run as they finish, then the updates, then the others in
-- input order) and no result list is kept; the plan itself
-- still holds every item. An error raised by on_result stops apply: nothing more is written
-- and it returns nil, err (code `aborted`, and for creates in flight then `err.in_flight`,
-- their item indices, and `err.in_doubt`), as create_many does.
-- @tparam[opt] table opts `concurrency` (creates, then updates, in flight, default
-- create_many's),
-- `progress` = function(done, total) over every write, `on_result` = function(i, r, err)
-- for each item (i its index in the list; r as in the results below, or nil and err the
-- Error)
-- @treturn[1] table one entry per item in input order: the referral written (or read), `true`
-- for an unchanged item, or an Error (category `conflict` for a conflict); with on_result
-- the counts alone
-- @treturn[1] table counts: `created`, `updated`, `unchanged`, `conflict`, `failed`
-- @return[2] nil
-- @treturn[2] Error err when the create run could not start, on_result raised, or the plan
-- was applied before (code `applied`: a plan is written once; plan again to go on)
function Plan:apply(opts)
  check_arg(opts == nil or type(opts) == "table", 1, "apply", "table or nil", opts)
  opts = opts or {}
  local on_result = opts.on_result
  check_arg(on_result == nil or type(on_result) == "function", 1, "apply",
    "opts.on_result: function or nil", on_result)
  if self.applied then -- its creates were sent: a second run would make them twice
    return nil, core.error { category = "validation", code = "applied",
      message = "this plan was applied already: plan again with client:sync" }
  end
  self.applied = true
  local client = self.client
  local results, counts = {}, { created = 0, updated = 0, unchanged = 0, conflict = 0, failed = 0 }
  local function finish(item, r)
    if counted(counts, item, r) and on_result then
      on_result(item.index, nil, r)
    elseif on_result then
      on_result(item.index, r, nil)
    else
      results[item.index] = r
    end
  end
  local creates, updates, total, done = { at = {} }, { at = {} }, 0, 0
  for _, item in ipairs(self.items) do
    if in_batch(item) then
      creates[#creates + 1] = item.referral
      creates.at[#creates] = item
    elseif in_update_batch(item) then
      updates[#updates + 1] = { id = item.id, changes = item.patch, etag = item.etag }
      updates.at[#updates] = item
    end
    if item.action == "create" or item.action == "update" then total = total + 1 end
  end
  local progress = opts.progress
  -- One bulk run (client:create_many or update_many) of batch, whose input j is item
  -- batch.at[j]: each outcome to written(item, r, err); a stopped run's err.in_flight names
  -- places in the plan.
  local function run(method, batch, written)
    if #batch == 0 then return true end
    local ok, err = client[method](client, batch, { concurrency = opts.concurrency,
      extra = self.opts.extra,
      on_result = function(j, r, rerr) written(batch.at[j], r, rerr) end })
    if not ok then
      for k, j in ipairs(err.in_flight or {}) do err.in_flight[k] = batch.at[j].index end
      return nil, err
    end
    return true
  end
  local function reported(item, r)
    item.written = true
    done = done + 1
    finish(item, r)
    if progress then progress(done, total) end
  end
  local ran, stopped = run("create_many", creates, function(item, r, rerr)
    reported(item, r or rerr)
  end)
  if ran then
    ran, stopped = run("update_many", updates, function(item, r, rerr)
      if rerr and rerr.status == 412 then -- re-planned below, one at a time
        item.changed_since = true
      else
        reported(item, r or rerr)
      end
    end)
  end
  if not ran then return nil, stopped end
  for _, item in ipairs(self.items) do
    local r, err
    if item.written then
      r = nil -- its outcome went out with its bulk run
    elseif item.changed_since then
      r, err = replan(self, item)
      if not r then r = err end
    elseif item.action == "unchanged" then
      r = true
    elseif item.action == "conflict" then
      r = conflict_error(item)
    elseif item.action == "error" then
      r = item.error
    elseif item.action == "create" and item.shared and not item.connect then
      r, err = client:create_shared(item.referral, { partner = self.opts.partner,
        invite = self.opts.invite, extra = self.opts.extra })
      if not r then r = err end
    elseif not in_batch(item) then -- update, or the connected half of an engagement
      r, err = write_existing(self, item)
      if not r then r = err end
    end
    if r ~= nil then
      if item.action == "create" or item.action == "update" then
        done = done + 1
        if progress then progress(done, total) end
      end
      local ok, raised = pcall(finish, item, r)
      if not ok then return nil, stopped_by(raised) end
    end
  end
  if on_result then return counts end
  return results, counts
end

-- The next chunk of at most size items of a job: its items, or nil, err when the iterator
-- raised.
local function next_chunk(next_item, size)
  local chunk = {}
  for n = 1, size do
    local ok, item = pcall(next_item)
    if not ok then return nil, stopped_by(item, "the iterator") end
    if item == nil then break end
    chunk[n] = item
  end
  return chunk
end

--- Makes Partner Center match a job of any size, a chunk at a time:
-- `client:sync_each(job [, opts])`. The job is an iterator (a function returning the next
-- referral, nil at the end) or a list. Each chunk of `opts.chunk` items (default 500) is
-- planned as client:sync plans a list, then written as plan:apply writes it, before the next
-- chunk is read: the run holds one chunk and its plan, whatever the job's size. Each item's
-- outcome goes to `opts.on_result(i, r, err)` (i its place in the job, r and err as
-- plan:apply gives them) and no result list is kept.
--
-- A key given twice in one chunk is a `duplicate` conflict, as in a list. In two chunks, the
-- later item is planned against what the earlier one wrote (its look-up finds it): an update
-- or unchanged, never a second create. A run that stopped (a look-up failed, a create run
-- could not start, on_result or the iterator raised) has written the chunks before
-- `err.items_before` in full: running the same job again finishes it, the items already
-- written being unchanged.
-- @tparam function|table job the referrals (as for client:sync), or an iterator giving them
-- @tparam[opt] table opts `chunk` (items planned at once, default 500), `on_result`,
-- `concurrency` (as for plan:apply, and the look-ups' as for client:sync), `lookup`,
-- `partner`, `invite`, `extra` (as for client:sync)
-- @treturn[1] table counts over the job: `items`, `created`, `updated`, `unchanged`,
-- `conflict`, `failed`
-- @return[2] nil
-- @treturn[2] Error err, with `err.items_before` (and for creates in flight when on_result
-- raised, `err.in_flight` as places in the job, and `err.in_doubt`)
function Client:sync_each(job, opts)
  check_arg(type(job) == "function" or type(job) == "table", 1, "sync_each",
    "function or table", job)
  check_arg(opts == nil or type(opts) == "table", 2, "sync_each", "table or nil", opts)
  opts = opts or {}
  local size = opts.chunk or 500
  check_arg(type(size) == "number" and size >= 1 and size % 1 == 0, 2, "sync_each",
    "opts.chunk: a positive integer", size)
  check_arg(LOOKUPS[opts.lookup or "auto"], 2, "sync_each",
    'opts.lookup "auto", "scan" or "filter"', opts.lookup)
  check_concurrency(opts.concurrency, "sync_each")
  -- apply keeps no result list only when it has an on_result
  local on_result = opts.on_result or function() end
  check_arg(type(on_result) == "function", 2, "sync_each", "opts.on_result: function or nil",
    on_result)
  local next_item = job
  if type(job) == "table" then
    local i, n = 0, #job
    next_item = function()
      if i < n then i = i + 1 return job[i] end
    end
  end
  local totals = { items = 0, created = 0, updated = 0, unchanged = 0, conflict = 0, failed = 0 }
  local plan_opts = { lookup = opts.lookup, concurrency = opts.concurrency,
    partner = opts.partner, invite = opts.invite, extra = opts.extra }
  while true do
    local base = totals.items
    local chunk, err = next_chunk(next_item, size)
    if chunk and #chunk == 0 then return totals end
    local plan, counts
    if chunk then plan, err = plan_list(self, chunk, plan_opts, base) end
    if plan then
      counts, err = plan:apply { concurrency = opts.concurrency, on_result = on_result }
    end
    if not counts then
      err.items_before = base
      return nil, err
    end
    for k, n in pairs(counts) do totals[k] = totals[k] + n end
    totals.items = base + #chunk
    if #chunk < size then return totals end
  end
end

return Client
