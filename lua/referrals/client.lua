--- referrals.client: the client helpers of issue 3 that are flow, not wire work. They are
-- added to the methods of every client (referrals.Client, made by src/lua/client.c) and chain
-- its C operations (create, get, list, update); all marshaling stays in C.
-- Every helper returns its result or nil, err, except each, which raises (see there).
-- @submodule referrals
local core = require "referrals.core"

local Client = core.Client

local function check_arg(ok, n, name, expected, value)
  if not ok then
    error(("bad argument #%d to '%s' (%s expected, got %s)"):format(n, name, expected, type(value)), 3)
  end
end

local function is_string(v) return type(v) == "string" end

-- self must be a client, as the C methods check it (luaL_checkudata): client.each(q), a "."
-- for a ":", would otherwise fail later and far from the mistake.
local function check_self(self, name)
  local mt = type(self) == "userdata" and getmetatable(self)
  if not (type(mt) == "table" and mt.__index == Client) then
    error(("calling '%s' on bad self (referrals.Client expected, got %s)"):format(name, type(self)), 3)
  end
end

-- A copy of the members of a referral that can be sent on create: the schema's read-only
-- members (spec §2 "RO": id, eTag, links, createdDateTime...) are left out at every level,
-- and so are members the schema does not know (create refuses them), unless keep_unknown:
-- a referral step 1 of create_shared sent carries only the unknown members opts.extra let
-- through. Driven by referrals.schema, so no list of fields is written twice.
local function writable(value, type_name, keep_unknown)
  type_name = type_name or "Referral"
  local out = {}
  for _, f in ipairs(core.schema.types[type_name].fields) do
    local v = value[f.key]
    if v ~= nil and not f.read_only then
      if type(v) == "table" and f.kind == "object" then
        v = writable(v, f.type, keep_unknown)
      elseif type(v) == "table" and f.kind == "object_array" then
        local items = {}
        for i, item in ipairs(v) do
          items[i] = type(item) == "table" and writable(item, f.type, keep_unknown) or item
        end
        v = items
      end
      out[f.key] = v
    end
  end
  if keep_unknown then
    local known = {}
    for _, f in ipairs(core.schema.types[type_name].fields) do known[f.key] = true end
    for k, v in pairs(value) do
      if not known[k] then out[k] = v end
    end
  end
  return out
end

--- The most pages one listing follows (client:each, client:related, `referrals list --all`).
core.MAX_PAGES = 100000

--- A guard against next links that lead back (a page whose @odata.nextLink is its own URL, or
-- an earlier page's, would otherwise be fetched forever): `local check = referrals.link_guard()`,
-- then `local err = check(page.next)` before following each link of one listing. It returns
-- nil for a link not seen before, and an error object (category "json", code
-- "next_link_loop") for a link already followed or past referrals.MAX_PAGES pages.
-- client:each, client:related and the CLI's `list --all` use it.
-- @function link_guard
-- @treturn function check(link) -> nil | err
function core.link_guard()
  local seen, pages = {}, 0
  return function(link)
    pages = pages + 1
    if seen[link] or pages > core.MAX_PAGES then
      return core.error { category = "json", code = "next_link_loop", field = "next",
        message = seen[link] and "the next link leads to a page already read; not followed"
          or ("more than %d pages; the rest is not followed"):format(core.MAX_PAGES) }
    end
    seen[link] = true
  end
end

-- Every referral of every page of query, or nil, err.
local function all_pages(self, query)
  local out = {}
  local check = core.link_guard()
  local page, err = self:list(query)
  while page do
    for _, r in ipairs(page.value) do out[#out + 1] = r end
    if not page.next then return out end
    err = check(page.next)
    if err then return nil, err end
    page, err = self:list(page.next)
  end
  return nil, err
end

--- An iterator over every referral of every page: `for ref in client:each(query) do ... end`.
-- Pages are fetched as the loop needs them, following `@odata.nextLink` (as @{Client:list}
-- with a link, only to the client's own host and scheme).
-- A failure while paging RAISES the err object: a generic for cannot see `nil, err` (a nil
-- ends the loop), so returning it would end the loop silently and lose the remaining pages.
-- Wrap the loop in pcall to handle it.
-- @tparam[opt] table|string query as for @{Client:list}
-- @treturn function the iterator, returning the next referral or nil at the end
-- @raise the @{Error} of a page that could not be read
function Client:each(query)
  check_self(self, "each")
  local page, i, source = nil, 0, query
  local check = core.link_guard()
  return function()
    while true do
      local err
      if page then
        i = i + 1
        local item = page.value[i]
        if item ~= nil then return item end
        source = page.next
        if not source then return nil end
        err = check(source)
        if err then error(err, 0) end
      end
      page, err = self:list(source)
      if not page then error(err, 0) end
      i = 0
    end
  end
end

--- Every referral of an engagement, all pages: both halves of a shared referral (listed with
-- `$filter=engagementId eq '<id>'`).
-- @tparam table|string ref a referral with `engagementId`, or the engagement id
-- @treturn[1] table the list of referrals
-- @return[2] nil
-- @treturn[2] Error err
-- @usage for _, r in ipairs(assert(client:related(mine))) do print(r.id, r.target[1].id) end
function Client:related(ref)
  check_self(self, "related")
  local id = type(ref) == "table" and ref.engagementId or ref
  check_arg(is_string(id), 1, "related", "referral with engagementId or engagement id", id)
  return all_pages(self, { filter = { engagementId = id } })
end

--- Moves a referral to `status`/`substatus` (and `statusReason = reason`) after checking the
-- transition table against its current status: taken from the table, or from a GET when
-- given an id (or a table without status). An illegal move returns `nil, err` (category
-- `validation`, code `transition`) and sends nothing. The PATCH carries the referral's eTag as
-- If-Match, so a referral changed meanwhile gives a 412, not a lost update.
-- @tparam table|string ref the referral, or its id
-- @string status the new status
-- @string[opt] substatus the new substatus
-- @string[opt] reason the statusReason
-- @treturn[1] table the updated referral
-- @return[2] nil
-- @treturn[2] Error err
function Client:set_status(ref, status, substatus, reason)
  check_self(self, "set_status")
  check_arg(type(ref) == "table" or is_string(ref), 1, "set_status", "referral or id", ref)
  check_arg(is_string(status), 2, "set_status", "string", status)
  check_arg(substatus == nil or is_string(substatus), 3, "set_status", "string or nil", substatus)
  check_arg(reason == nil or is_string(reason), 4, "set_status", "string or nil", reason)
  local current = ref
  if type(ref) ~= "table" or not is_string(ref.status) then
    local err
    current, err = self:get(type(ref) == "table" and ref.id or ref)
    if not current then return nil, err end
  end
  local from = is_string(current.status) and current.status or "None"
  local ok, why = core.transition_allowed(from, status, substatus)
  if not ok then
    return nil, core.error {
      category = "validation", code = "transition", field = "status",
      message = ("status: %s -> %s%s refused: %s"):format(from, status,
        substatus and "/" .. substatus or "", why),
    }
  end
  return self:update(current, { status = status, substatus = substatus, statusReason = reason })
end

-- spec §3.2 step 2: the connected referral for the other party, a copy of source's writable
-- members carrying the same engagementId, the target and the invitation.
local function connected_referral(source, engagement_id, opts, keep_unknown)
  local ref = writable(source, "Referral", keep_unknown)
  ref.type = "Shared"
  ref.engagementId = engagement_id
  ref.target = { { type = "BusinessProfileLocation", id = opts.partner or "msft" } }
  ref.inviteContext = nil
  if opts.invite then
    ref.inviteContext = {
      notes = opts.invite.notes,
      assistanceRequestCode = opts.invite.assistanceRequestCode,
    }
  end
  return ref
end

--- Whether ref is the connected half of its engagement for partner (the second referral of
-- a shared engagement, made for the other party): its target holds the partner's business
-- profile, `{ type = "BusinessProfileLocation", id = partner }`. Reads the table only;
-- connect and sync tell the halves apart with it.
-- @tab ref a referral
-- @string[opt="msft"] partner the partner's BusinessProfileLocation id
-- @treturn boolean
function Client:targets_partner(ref, partner) -- luacheck: ignore 212/self
  partner = partner or "msft"
  if type(ref) ~= "table" or type(ref.target) ~= "table" then return false end
  for _, t in ipairs(ref.target) do
    if type(t) == "table" and t.type == "BusinessProfileLocation" and t.id == partner then
      return true
    end
  end
  return false
end

--- The second step of a shared referral alone: the connected referral that invites the
-- partner, in the same engagement. For resuming after @{Client:create_shared} failed in step
-- 2 (pass `err.created`). The referral to copy is the one given, or else the engagement's
-- first; when the engagement already holds a referral (other than that one) targeting the
-- partner, that one is returned and nothing is created, so running connect twice never makes
-- a third half.
-- @tparam table|string engagement the step-1 referral, or the engagement id
-- @tparam[opt] table opts `partner` (the target's BusinessProfileLocation id, default
-- `"msft"`), `invite = { notes =, assistanceRequestCode = }` (the inviteContext), `extra`
-- (as for @{Client:create}; the copy keeps only the members the schema knows)
-- @treturn[1] table the connected referral
-- @return[2] nil
-- @treturn[2] Error err (code `engagement` for an engagement without referrals)
function Client:connect(engagement, opts)
  check_self(self, "connect")
  check_arg(type(engagement) == "table" or is_string(engagement), 1, "connect",
    "referral or engagement id", engagement)
  opts = opts or {}
  local source = type(engagement) == "table" and engagement or nil
  local id = source and source.engagementId or engagement
  check_arg(is_string(id), 1, "connect", "referral with engagementId", id)
  local related, err = self:related(id)
  if not related then return nil, err end
  local partner = opts.partner or "msft"
  for _, r in ipairs(related) do
    if self:targets_partner(r, partner) and not (source and r.id == source.id) then return r end
  end
  source = source or related[1]
  if not source then
    return nil, core.error {
      category = "validation", code = "engagement", field = "engagementId",
      message = "engagementId: the engagement has no referral to connect to",
    }
  end
  return self:create(connected_referral(source, id, opts), { extra = opts.extra })
end

--- Both steps of a shared (co-sell) referral in one call: step 1 POSTs a copy of `ref` with
-- type `"Shared"`; step 2 POSTs the connected referral with the engagementId step 1 got back
-- (`opts` as for @{Client:connect}). When step 2 fails the result is `nil, err` with
-- `err.created` = the step-1 referral, and the message names it: pass it to
-- @{Client:connect} (or run `referrals share --resume ID`) to finish without creating a
-- second engagement. A step whose outcome is unknown (`err.in_doubt`) is looked up by its
-- externalReferenceId first (see @{Client:create}); when step 2 stays in doubt,
-- @{Client:connect} with `err.created` returns the connected half if it was made, else
-- creates it.
-- @tab ref the referral
-- @tparam[opt] table opts as for @{Client:connect}; the members `opts.extra` lets through
-- are sent in both halves
-- @treturn[1] table mine, the step-1 referral
-- @treturn[1] table connected, the referral that invites the partner
-- @return[2] nil
-- @treturn[2] Error err (with `created` when step 1 succeeded)
function Client:create_shared(ref, opts)
  check_self(self, "create_shared")
  check_arg(type(ref) == "table", 1, "create_shared", "table", ref)
  opts = opts or {}
  local request = {}
  for k, v in pairs(ref) do request[k] = v end
  request.type = "Shared"
  local mine, err = self:create(request, { extra = opts.extra })
  if not mine then return nil, err end
  if type(mine) ~= "table" or not is_string(mine.engagementId) then
    return nil, core.error {
      category = "json", code = "engagementId", created = mine,
      message = "the created referral carries no engagementId, so it cannot be connected",
    }
  end
  local other
  other, err = self:create(connected_referral(request, mine.engagementId, opts, true),
    { extra = opts.extra })
  if not other then
    err.created = mine
    err.message = ("step 1 created referral %s (engagement %s), step 2 failed: %s; " ..
      "client:connect(err.created) (or `referrals share --resume %s`) finishes the engagement " ..
      "without creating a second one"):format(mine.id, mine.engagementId, err.message or "",
      tostring(mine.id))
    return nil, err
  end
  return mine, other
end

-- check_arg and check_self: for the other files that add methods (changes.lua)
return { Client = Client, writable = writable, check_arg = check_arg, check_self = check_self }
