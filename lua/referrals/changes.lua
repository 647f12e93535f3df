--- referrals.changes: what a webhook receiver needs on every client (issue 14):
-- client:event_referral (the referral a verified event names, read from the client's own
-- base URL) and client:changes (the reconciling poll behind the webhooks, which Partner
-- Center stops retrying after ten attempts).
--
-- The watermark of client:changes. A listing ordered by updatedDateTime can be cut between
-- two referrals with the same updatedDateTime: a watermark that kept the instant alone would,
-- with `gt`, lose the ones not yet read (or not yet written) at that instant, and with `ge`
-- repeat the ones read. So the watermark is the instant of the last referral returned plus
-- the ids already returned at that instant, as one string "<instant>;<id>;<id>...", and the
-- next call asks `updatedDateTime ge <instant>` and drops those ids. A watermark without ids
-- (a plain `since`) asks `gt`.
--
-- Within one call the pages are read the same way (keyset paging): after a page that moved
-- the watermark to a later instant, the next request starts again from the watermark so far
-- rather than following @odata.nextLink, whose offset shifts when a referral already read is
-- updated meanwhile (it moves to the end, and the first referral of the next page would slip
-- under the page edge). A page that ends at the instant it began with (a run of equal
-- instants longer than a page) is followed by its next link; the same instant again would
-- return the same page. Such a run is the one place an update made during the call can
-- still shift a referral out of reach: it takes more referrals updated in the same 100 ns
-- tick than a page holds.
-- @submodule referrals
local core = require "referrals.core"
local helpers = require "referrals.client"

local Client, check_arg, check_self = core.Client, helpers.check_arg, helpers.check_self

-- ---- instants: RFC 3339 text or epoch seconds <-> a key that sorts as text ----

local TICKS = 10000000 -- the service's datetimes count 100 ns ticks: 7 fractional digits
local FIRST, LAST = -62135596800, 253402300799 -- 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z

-- Days from 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms, as
-- src/core/datetime.c).
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * (m > 2 and m - 3 or m + 9) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  return yoe + era * 400 + (m <= 2 and 1 or 0), m, d
end

local function is_leap(y) return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) end
local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

-- An instant: { seconds = whole epoch seconds, ticks = 0..9999999 }.
local function instant_of_text(s)
  local y, mo, d, h, mi, sec, rest =
    s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt](%d%d):(%d%d):(%d%d)(.*)$")
  if not y then return nil end
  y, mo, d, h, mi, sec = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi),
    tonumber(sec)
  local fraction = rest:match("^%.(%d+)")
  if fraction then rest = rest:sub(#fraction + 2) end
  local offset = 0
  if rest ~= "Z" and rest ~= "z" then
    local sign, oh, om = rest:match("^([%+%-])(%d%d):(%d%d)$")
    if not sign or tonumber(oh) > 23 or tonumber(om) > 59 then return nil end
    offset = (sign == "+" and 1 or -1) * (tonumber(oh) * 3600 + tonumber(om) * 60)
  end
  local days = mo == 2 and is_leap(y) and 29 or MONTH_DAYS[mo]
  if y < 1 or not days or d < 1 or d > days or h > 23 or mi > 59 or sec > 59 then return nil end
  -- digits past the 7th name no instant the service can store: cut, the order stays the same
  local ticks = fraction and tonumber((fraction .. "000000"):sub(1, 7)) or 0
  local seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset
  if seconds < FIRST or seconds > LAST then return nil end
  return { seconds = seconds, ticks = ticks }
end

local function instant_of_number(t)
  if not (t >= FIRST and t < LAST + 1) then return nil end -- also NaN
  local seconds = math.floor(t)
  local ticks = math.floor((t - seconds) * TICKS + 0.5)
  if ticks >= TICKS then seconds, ticks = seconds + 1, 0 end
  if seconds > LAST then return nil end
  return { seconds = seconds, ticks = ticks }
end

-- "YYYY-MM-DDTHH:MM:SS.fffffffZ": fixed width, so keys compare as text in time order.
local function key_of(instant)
  local days = math.floor(instant.seconds / 86400)
  local second = instant.seconds - days * 86400
  local y, m, d = civil_from_days(days)
  return ("%04d-%02d-%02dT%02d:%02d:%02d.%07dZ"):format(y, m, d, math.floor(second / 3600),
    math.floor(second % 3600 / 60), second % 60, instant.ticks)
end

-- The key as an OData DateTimeOffset literal, the fraction without its trailing zeros.
local function literal_of(key)
  return (key:gsub("0+Z$", "Z"):gsub("%.Z$", "Z"))
end

-- ---- the watermark ----

-- An id in the watermark: percent-encoded beyond the unreserved bytes, so that no id (they
-- are GUIDs, but the API does not promise it) can hold the ";" between them.
local function encode_id(id)
  return (id:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

local function decode_id(text)
  if text == "" or text:find("[^%w%-%._~%%]") or text:find("%%%X") or text:find("%%%x%X")
    or text:find("%%.?$") then
    return nil
  end
  return (text:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- since -> { at = key, seen = { [id] = true } | nil }; nil, err for text naming no instant.
local function read_since(since)
  local instant, ids
  if type(since) == "number" then
    instant = instant_of_number(since)
  else
    local datetime, rest = since:match("^([^;]*)(.*)$")
    instant = instant_of_text(datetime)
    if instant and rest ~= "" then
      ids = {}
      for encoded in (rest .. ";"):sub(2):gmatch("([^;]*);") do
        local id = decode_id(encoded)
        if not id then instant = nil break end
        ids[id] = true
      end
    end
  end
  if not instant then
    return nil, core.error { category = "validation", code = "since", field = "since",
      message = "since: an RFC 3339 datetime (e.g. 2026-12-02T14:00:00Z), epoch seconds within "
        .. "the years 0001-9999, or a watermark client:changes returned expected" }
  end
  return { at = key_of(instant), seen = ids }
end

local function watermark_of(cursor)
  local ids = {}
  for id in pairs(cursor.seen or {}) do ids[#ids + 1] = encode_id(id) end
  table.sort(ids)
  return literal_of(cursor.at) .. (ids[1] and ";" .. table.concat(ids, ";") or "")
end

local function page_query(cursor)
  return { filter = ("updatedDateTime %s %s"):format(cursor.seen and "ge" or "gt",
    literal_of(cursor.at)), orderby = "updatedDateTime asc" }
end

-- Takes one listed referral into out; returns "new", "seen", or nil, err.
local function take(cursor, r, out)
  local instant = type(r) == "table" and type(r.updatedDateTime) == "string"
    and instant_of_text(r.updatedDateTime)
  if not instant or type(r.id) ~= "string" then
    return nil, core.error { category = "json", code = "changes", field = "updatedDateTime",
      message = "a listed referral has no id or no updatedDateTime: its changes cannot be followed" }
  end
  local key = key_of(instant)
  if key < cursor.at or (key == cursor.at and not cursor.seen) then
    return nil, core.error { category = "json", code = "changes", field = "updatedDateTime",
      value = r.id, message = ("the service listed a referral (its id is in err.value) updated "
        .. "before the watermark %s: the $filter or $orderby on updatedDateTime was not "
        .. "honoured"):format(literal_of(cursor.at)) }
  end
  if key == cursor.at and cursor.seen[r.id] then return "seen" end
  out[#out + 1] = r
  if key > cursor.at then cursor.at, cursor.seen = key, {} end
  cursor.seen[r.id] = true
  return "new"
end

--- Every referral updated after `since`, oldest first, all pages: the reconciling poll a
-- webhook receiver runs beside its events (Partner Center gives up on an event after ten
-- delivery attempts). Asks `$filter=updatedDateTime gt <since>` and
-- `$orderby=updatedDateTime asc`, then `ge` from the watermark so far.
-- Pass the watermark returned to the next call: it names the instant of the last referral
-- returned and the ids returned at that instant (a string, `"<datetime>;<id>;..."`, to store
-- as it is), so referrals with the same updatedDateTime on both sides of a page edge, or of
-- two calls, are neither lost nor returned twice. A referral changed again later comes again,
-- with its newer updatedDateTime.
-- @tparam string|number since an RFC 3339 datetime (`"2026-12-02T14:00:00Z"`, an offset is
-- converted to UTC), epoch seconds, or a watermark a previous call returned
-- @tparam[opt] table opts `limit` (the most referrals to return; the watermark then points
-- after the last one returned, so the next call goes on from there)
-- @treturn[1] table the referrals, oldest change first
-- @treturn[1] string the watermark to pass next time (when nothing changed, `since`
-- again, its instant written in UTC)
-- @return[2] nil
-- @treturn[2] Error err (code `since` for a since that names no instant)
-- @usage local changed, mark = assert(client:changes(saved_mark or os.time() - 86400))
function Client:changes(since, opts)
  check_self(self, "changes")
  check_arg(type(since) == "string" or type(since) == "number", 1, "changes",
    "RFC 3339 datetime, epoch seconds or watermark", since)
  check_arg(opts == nil or type(opts) == "table", 2, "changes", "table or nil", opts)
  local limit = opts and opts.limit
  if limit ~= nil and not (type(limit) == "number" and limit >= 1 and limit == math.floor(limit)) then
    error("bad argument #2 to 'changes' (limit: a whole number >= 1 expected)", 2)
  end
  local cursor, err = read_since(since)
  if not cursor then return nil, err end
  local out, check = {}, core.link_guard()
  local page
  page, err = self:list(page_query(cursor))
  while page do
    local before = cursor.at
    for _, r in ipairs(page.value) do
      local took, why = take(cursor, r, out)
      if not took then return nil, why end
      if limit and #out >= limit then return out, watermark_of(cursor) end
    end
    if not page.next then return out, watermark_of(cursor) end
    if cursor.at ~= before then
      check = core.link_guard()
      page, err = self:list(page_query(cursor))
    else
      err = check(page.next)
      if err then return nil, err end
      page, err = self:list(page.next)
    end
  end
  return nil, err
end

--- The referral a verified webhook event names, read again from the client's own base URL:
-- the event is a hint (nothing in it is signed with a time, and its ResourceUri's host is
-- never sent a token), the referral as the API has it now is the answer.
-- @tab event what `verifier:verify` returned (see referrals.webhook; its `referralId`)
-- @treturn[1] table the referral, as @{Client:get} returns it
-- @return[2] nil
-- @treturn[2] Error err (category `validation`, code `event` for an event that names no
-- referral, such as `test-created`; or @{Client:get}'s)
-- @usage local event = assert(verifier:verify(request)); local ref = client:event_referral(event)
function Client:event_referral(event)
  check_self(self, "event_referral")
  check_arg(type(event) == "table", 1, "event_referral", "table (a verified event)", event)
  local id = event.referralId
  if id == nil then
    return nil, core.error { category = "validation", code = "event", field = "referralId",
      value = event.EventName, message = "the event names no referral (its EventName is in err.value)" }
  end
  check_arg(type(id) == "string", 1, "event_referral", "referralId: string", id)
  return self:get(id)
end

return true
