--- referrals.cli: the `referrals` command (bin/referrals is `os.exit(require("referrals.cli")
-- .main(arg))`). Each command returns a result or nil, err; main turns err into one line on
-- stderr and an exit code. See `referrals --help`.
-- @module referrals.cli
local referrals = require "referrals"
local args = require "referrals.cli.args"
local output = require "referrals.cli.output"
local progress = require "referrals.cli.progress"
local sync = require "referrals.cli.sync"
local webhook = require "referrals.cli.webhook"
local cjson = require("cjson").new()

local M = {}

--- Exit codes by error category: 0 ok, 1 API/HTTP error (also json, auth, memory), 2 usage,
-- 3 validation, 4 transport, 5 conflicts remain (sync).
M.EXIT = { usage = 2, validation = 3, transport = 4, conflict = sync.EXIT_CONFLICTS }

local function usage_error(fmt, ...)
  return referrals.error { category = "usage", code = "usage", message = fmt:format(...) }
end

-- The text of FILE, or of stdin for "-".
local function read_input(name)
  if name == "-" then return io.stdin:read("*a") end
  local f, why = io.open(name, "rb")
  if not f then return nil, usage_error("cannot read %s", why) end
  local text = f:read("*a")
  f:close()
  return text
end

-- A referral from JSON text. Text that is not JSON is a JSON error with its position; field
-- says where (FILE, "stdin", "line N").
local function decode_input(text, where)
  local ref, err = referrals.decode(text)
  if ref then return ref end
  return nil, referrals.error { category = "json", code = err.code, field = where,
    position = err.position, message = where .. ": " .. err.message }
end

local function read_referral(name)
  local text, err = read_input(name)
  if not text then return nil, err end
  return decode_input(text, name == "-" and "stdin" or name)
end

-- Runs the token command; its output (trimmed) is the token. The token is never echoed:
-- failures only say how the command ended.
local function command_token(command)
  local p = io.popen("(" .. command .. "); printf '\\n%s' $?")
  local out = p:read("*a")
  p:close()
  local token, status = out:match("^%s*(.-)%s*\n(%d+)$")
  if status ~= "0" or token == "" then
    return nil, referrals.error { category = "auth", code = "token_command",
      message = ("the token command %s"):format(status == "0" and "printed nothing"
        or "failed with status " .. tostring(status)) }
  end
  return token
end

local function env(name)
  local v = os.getenv(name)
  if v ~= "" then return v end
end

-- The authority of the sign-in: $REFERRALS_AUTHORITY (e.g. the bundled server), else Entra's,
-- trusting $REFERRALS_CA_FILE as the API's requests do (a company proxy signs both).
-- Plain http only to this machine (the loopback address, as the bundled server listens on):
-- a secret sent there never crosses a network.
local function auth_options(tenant, client_id)
  local authority = env("REFERRALS_AUTHORITY")
  local loopback = authority and (authority:lower():find("^http://127%.0%.0%.1[:/]")
    or authority:lower():find("^http://127%.0%.0%.1$") or authority:lower():find("^http://localhost[:/]"))
  return { tenant = tenant, client_id = client_id, authority = authority,
    allow_http = loopback and true or nil, ca_file = env("REFERRALS_CA_FILE") }
end

-- The token function of the cached sign-in (the first one cached) for audience, or nil; nil,
-- err when the cache is refused (readable by others, not JSON): the user must hear why.
local function cached_token(audience)
  local ok, cache = pcall(referrals.auth.cache)
  if not ok then return nil end
  local entries, err = cache:entries()
  if not entries then return nil, err end
  if not entries[1] then return nil end
  local opts = auth_options(entries[1].tenant, entries[1].client_id)
  opts.audience = audience
  return cache:token(opts)
end

-- The token for audience: $env_name, else what --token-command prints, else the token
-- cache's sign-in. nil, err when none is found.
local function find_token(options, env_name, audience)
  local token = env(env_name)
  if options["token-command"] then
    local err
    token, err = command_token(options["token-command"])
    if not token then return nil, err end
  end
  if not token then
    local err
    token, err = cached_token(audience)
    if err then return nil, err end
  end
  if not token then
    return nil, usage_error("no token: set %s, use --token-command CMD or run referrals login",
      env_name)
  end
  return token
end

-- The options of referrals.new that the global options give (timeout, retries, deadline), and
-- $REFERRALS_CA_FILE, a PEM bundle to trust (the bundled server's test CA, a company proxy's).
local function client_settings(options)
  local settings = { ca_file = env("REFERRALS_CA_FILE") }
  for _, name in ipairs { "timeout", "retries", "deadline" } do
    if options[name] then
      settings[name] = tonumber(options[name])
      if not settings[name] then return nil, usage_error("--%s: a number expected", name) end
    end
  end
  return settings
end

local function new_client(options)
  local token, err = find_token(options, "REFERRALS_TOKEN", referrals.auth.RESOURCE)
  if not token then return nil, err end
  local settings
  settings, err = client_settings(options)
  if not settings then return nil, err end
  settings.token = token
  settings.base_url = options["base-url"] or os.getenv("REFERRALS_BASE_URL")
  if settings.base_url == "" then settings.base_url = nil end
  local ok, client = pcall(referrals.new, settings)
  if not ok then -- a refused option raises "bad argument #1 to 'new' (option 'base_url': ...)"
    return nil, usage_error("%s", (tostring(client):gsub("^.-%((.*)%)$", "%1")))
  end
  return client
end

-- A referral (or the true of an update answered 204) on stdout; nil, err when the answer
-- holds a value JSON cannot (never a raise: no answer may crash the command).
local function print_referral(ref)
  return output.print(ref, true)
end

-- The items of a list on stdout, as a JSON array; an item that is not a referral (a null
-- in a page) is written as it is.
local function print_referrals(list)
  if output.is_terminal(1) then return output.print(setmetatable(list, referrals.array_mt), true) end
  local parts = {}
  for i, r in ipairs(list) do
    local text, err = output.json(r, true)
    if not text then return nil, err end
    parts[i] = text
  end
  io.stdout:write("[", table.concat(parts, ","), "]\n")
  return true
end

local commands = {}

function commands.validate(_, argv, options)
  local ref, err = read_referral(argv[1])
  if not ref then return nil, err end
  local ok, verr = referrals.validate(ref, { extra = options.extra })
  if not ok then return nil, verr end
  output.print({ valid = true })
  return true
end

function commands.create(client, argv, options)
  local ref, err = read_referral(argv[1])
  if not ref then return nil, err end
  local created
  created, err = client:create(ref, { extra = options.extra })
  if not created then return nil, err end
  return print_referral(created)
end

-- With --resume ID (the step-1 referral of an engagement whose second step failed) only step
-- 2 runs, through client:connect, which never makes a second connected half.
function commands.share(client, argv, options)
  local invite = { partner = options.partner, invite = options.notes and { notes = options.notes },
    extra = options.extra }
  if options.resume then
    if argv[1] then return nil, usage_error("share --resume ID takes no FILE") end
    local mine, err = client:get(options.resume)
    if not mine then return nil, err end
    local other
    other, err = client:connect(mine, invite)
    if not other then return nil, err end
    return print_referrals { mine, other }
  end
  if not argv[1] then return nil, usage_error("share needs FILE.json (or --resume ID)") end
  local ref, err = read_referral(argv[1])
  if not ref then return nil, err end
  local mine, other = client:create_shared(ref, invite)
  if not mine then -- other: the err, with err.created after step 1
    if type(other.created) == "table" and other.created.id then
      io.stderr:write(("referrals: step 1 created %s; finish with: referrals share --resume %s\n")
        :format(other.created.id, other.created.id))
    end
    return nil, other
  end
  return print_referrals { mine, other }
end

function commands.get(client, argv)
  local ref, err = client:get(argv[1])
  if not ref then return nil, err end
  return print_referral(ref)
end

-- The query of `list`: --filter is raw OData; --engagement and --status are equality
-- conditions the module escapes.
local function list_query(options)
  if options.filter and (options.engagement or options.status) then
    return nil, usage_error("--filter cannot be combined with --engagement or --status")
  end
  local filter = options.filter
  if options.engagement or options.status then
    filter = { engagementId = options.engagement, status = options.status }
  end
  return { filter = filter }
end

function commands.list(client, _, options)
  local query, err = list_query(options)
  if not query then return nil, err end
  local bar = options.all and progress.new()
  query.count = bar and bar.shown or nil -- the bar's total: @odata.count
  local all = {}
  local check = referrals.link_guard()
  local page
  page, err = client:list(query)
  while page do
    for _, r in ipairs(page.value) do all[#all + 1] = r end
    if bar then bar:update(#all, nil, page.count) end
    if not (options.all and page.next) then break end
    err = check(page.next)
    if err then page = nil break end
    page, err = client:list(page.next)
  end
  if bar then bar:finish() end
  if not page then return nil, err end
  return print_referrals(all)
end

-- The schema's field at a dotted (or /) path of update, or nil for a path it does not know
-- (client:update says what is wrong with it).
local function field_at(path)
  local type_name, field = "Referral", nil
  for seg in path:gmatch("[^./]+") do
    if not (field and (field.kind == "object_array" or field.kind == "string_array")
        and (seg:match("^%d+$") or seg == "-")) then
      local t = type_name and referrals.schema.types[type_name]
      field = nil
      for _, f in ipairs(t and t.fields or {}) do
        if f.key == seg then field = f end
      end
      if not field then return nil end
      type_name = field.type
    end
  end
  return field
end

-- PATH=text for a member that is not a string: a number or boolean written as text is meant
-- as that number or boolean.
local function typed_value(path, text)
  local f = field_at(path)
  local kind = f and f.kind
  if kind == "number" then
    local n = tonumber(text)
    if not n then
      return nil, usage_error("%s is a number: '%s' is not one (PATH:=JSON sets any JSON value)",
        path, text)
    end
    return n
  elseif kind == "bool" then
    if text == "true" or text == "false" then return text == "true" end
    return nil, usage_error("%s is true or false (PATH:=JSON sets any JSON value)", path)
  end
  return text
end

-- The changes of `update`: PATH=text is a string (a number or a boolean where the schema
-- says so), PATH:=json any JSON value (read by lua-cjson; its null is
-- referrals.null).
local function parse_changes(list)
  local changes = {}
  for _, a in ipairs(list) do
    local path, op, value = a:match("^([^=:]+)(:?=)(.*)$")
    if not path then return nil, usage_error("'%s' is not PATH=VALUE or PATH:=JSON", a) end
    if op == "=" then
      local err
      value, err = typed_value(path, value)
      if value == nil then return nil, err end
    end
    if op == ":=" then
      local ok, decoded = pcall(cjson.decode, value)
      if not ok then
        return nil, usage_error("%s: not a JSON value (%s)", path,
          (tostring(decoded):gsub("^.-:%d+: ", "")))
      end
      value = decoded
    end
    changes[path] = value
  end
  return changes
end

function commands.update(client, argv, options)
  local changes, err = parse_changes { select(2, (table.unpack or unpack)(argv)) }
  if not changes then return nil, err end
  local ref
  ref, err = client:update(argv[1], changes, { etag = options.etag, extra = options.extra })
  if not ref then return nil, err end
  return print_referral(ref)
end

local is_error = referrals.is_error

-- err for the one stderr line of a bulk run: the problems of every line are on stdout.
local function without_problems(err)
  local copy = {}
  for k, v in pairs(err) do copy[k] = v end
  copy.errors = nil
  return referrals.error(copy)
end

-- Blank lines are skipped (they keep their line numbers). The referrals go to
-- client:create_many in one run (--concurrency transfers in flight); the results come back in
-- input order. Fails with the error of the first failed line, after every line was tried.
function commands.bulk(client, argv, options)
  local concurrency = tonumber(options.concurrency or "8") -- create_many's default
  if not concurrency or concurrency < 1 or concurrency > 256 or concurrency % 1 ~= 0 then
    return nil, usage_error("--concurrency: an integer from 1 to 256 expected")
  end
  local text, err = read_input(argv[1])
  if not text then return nil, err end
  local results, refs, at = {}, {}, {} -- by line number; the requests; their line numbers
  local lines, used = 0, 0
  for line in (text .. "\n"):gmatch("(.-)\r?\n") do
    lines = lines + 1
    if line:find("%S") then
      used = used + 1
      local ref, lerr = decode_input(line, "line " .. lines)
      results[lines] = lerr
      if ref then
        refs[#refs + 1], at[#refs + 1] = ref, lines
      end
    end
  end
  local not_json = used - #refs -- done (and failed) before anything is sent
  local bar = progress.new(used)
  bar:update(not_json)
  local created
  created, err = client:create_many(refs, { concurrency = concurrency, extra = options.extra,
    progress = function(done) bar:update(not_json + done) end })
  if not created then
    bar:finish()
    return nil, err
  end
  for i, r in ipairs(created) do results[at[i]] = r end
  local first_err, failed = nil, 0
  for i = 1, lines do
    local r = results[i]
    if is_error(r) then
      io.stdout:write(('{"line":%d,"error":%s}\n'):format(i, output.error_json(r)))
      first_err = first_err or r
      failed = failed + 1
    elseif r ~= nil then
      local json, oerr = output.json(r, true)
      io.stdout:write(json or ('{"line":%d,"error":%s}'):format(i, output.error_json(oerr)), "\n")
    end
  end
  -- create_many's progress says how many are done, not how they ended: the failures are
  -- counted once the results are in.
  bar:update(nil, failed)
  bar:finish()
  if first_err then return nil, without_problems(first_err) end
  return true
end

-- Plans (and with --apply writes) FILE's list: referrals.cli.sync.
function commands.sync(client, argv, options)
  return sync.run(client, argv, options, read_input)
end

-- The webhook registration API: referrals.cli.webhook, with the token of its audience.
function commands.webhook(_, argv, options)
  return webhook.run(argv, options, { token = find_token, settings = client_settings,
    read_input = read_input })
end

-- Signs in with the device code flow and keeps the refresh token: referrals.auth.cache.
function commands.login(_, _, options)
  local tenant = options.tenant or env("REFERRALS_TENANT") or "organizations"
  local client_id = options["client-id"] or env("REFERRALS_CLIENT_ID")
  if not client_id then
    return nil, usage_error("login needs your app registration's client id: --client-id C or "
      .. "$REFERRALS_CLIENT_ID")
  end
  local cache = referrals.auth.cache()
  local opts = auth_options(tenant, client_id)
  local saved, save_err = true, nil
  opts.prompt = function(info) io.stderr:write(info.message, "\n") io.stderr:flush() end
  local who
  opts.on_refresh_token = function(rt, account)
    who = account
    saved, save_err = cache:put(tenant, client_id, referrals.auth.RESOURCE, rt, account)
  end
  local fn, err = referrals.auth.device_code(opts)
  if not fn then return nil, err end
  if not saved then return nil, save_err end
  io.stderr:write("Signed in to ", tenant, who and who.username and " as " .. output.safe(who.username)
    or "", "; the refresh token is in ", cache.path, "\n")
  return true
end

function commands.logout()
  local cache = referrals.auth.cache()
  local ok, err = cache:clear()
  if not ok then return nil, err end
  io.stderr:write("Signed out: ", cache.path, " removed\n")
  return true
end

function commands.whoami()
  local entries, err = referrals.auth.cache():entries()
  if not entries then return nil, err end
  if not entries[1] then return nil, usage_error("not signed in (run referrals login)") end
  local out = {}
  for _, e in ipairs(entries) do
    local account = type(e.account) == "table" and e.account or {}
    -- the account and its tenant id as the ID token named them at login (no token kept)
    out[#out + 1] = { account = account.username, tenant_id = account.tenant_id,
      tenant = e.tenant, client_id = e.client_id,
      audiences = { referrals.auth.RESOURCE, referrals.auth.WEBHOOK_RESOURCE } }
  end
  return output.print(out)
end

-- The command line argv -> the exit code (M.main, without its last line of defence).
local function main(argv)
  local parsed, why = args.parse(argv)
  local ok, err
  if not parsed then
    err = usage_error("%s (see referrals --help)", why)
  elseif parsed.version then
    io.stdout:write("referrals ", referrals._VERSION, " (", jit and jit.version or _VERSION, ")\n")
    return 0
  elseif parsed.options.help then
    io.stdout:write(args.help(parsed.command))
    return 0
  elseif not parsed.command then
    err = usage_error("no command (see referrals --help)")
  else
    local client
    if not parsed.command.offline then client, err = new_client(parsed.options) end
    if client or parsed.command.offline then
      -- a 401's error names the token's audience and the one needed (the library says it)
      ok, err = commands[parsed.command.name](client, parsed.args, parsed.options)
      if client then client:close() end
    end
  end
  if ok then return 0 end
  -- Also when parsing failed: --json-errors anywhere on the line counts.
  local json_errors = parsed and parsed.options["json-errors"]
  for _, a in ipairs(parsed and {} or argv) do json_errors = json_errors or a == "--json-errors" end
  output.report(err, json_errors)
  return M.EXIT[err.category] or 1
end

--- Runs the command line argv (the `arg` table of bin/referrals) and returns the exit code.
-- No traceback reaches the user: a Lua error anywhere (a bug, or an answer no check
-- foresaw) is reported as one line, category "internal", exit code 1.
-- @tparam {string,...} argv the arguments
-- @treturn int the exit code (see M.EXIT)
function M.main(argv)
  local ok, code = pcall(main, argv)
  if ok then return code end
  local message = type(code) == "table" and tostring(code.message or code) or tostring(code)
  io.stderr:write("referrals: internal error: ", output.safe(message), "\n")
  return 1
end

return M
