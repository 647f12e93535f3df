--- referrals.cli.webhook: `referrals webhook SUBCOMMAND`, the webhook registration API from
-- the command line (referrals.webhooks). One table describes each subcommand (its usage, its
-- summary, how many arguments, whether it needs the service, what it runs), so that the help,
-- the checks and the dispatch cannot disagree; a subcommand is added with one more entry.
-- @module referrals.cli.webhook
local referrals = require "referrals"
local output = require "referrals.cli.output"
local webhook_verify = require "referrals.cli.webhook_verify"

local M = {}

--- The options of `referrals webhook` (in referrals.cli.args' form: name, argument, help).
M.OPTIONS = {
  { "url", "URL", "register, update: the receiver's https URL" },
  { "events", "NAMES", "register, update: the events, comma-separated (see `referrals webhook events`)" },
  { "signature-header", true, "register, update: the signature in x-ms-signature, not Authorization" },
  { "authorization-header", true, "update: the signature back in Authorization (the default)" },
  { "ca-file", "F", "verify: the PEM bundle the certificate must chain to (default: the system's)" },
  { "certificate-host", "H", "verify: a host (or host:port) the certificate may come from; "
    .. "repeatable (default Partner Center's)", many = true },
}

local function usage_error(fmt, ...)
  return referrals.error { category = "usage", code = "usage", message = fmt:format(...) }
end

-- "a, b,c" -> { "a", "b", "c" }; nil when none is given.
local function event_list(text)
  if not text then return nil end
  local list = {}
  for name in text:gmatch("[^,%s]+") do list[#list + 1] = name end
  return list
end

-- The signature_header of the options: true, false, or nil (left as it is).
local function signature_header(options)
  if options["signature-header"] and options["authorization-header"] then
    return nil, usage_error("--signature-header and --authorization-header exclude each other")
  end
  if options["signature-header"] then return true end
  if options["authorization-header"] then return false end
end

-- The spec of register and update from the options (nil, err for a usage error).
local function registration_spec(options)
  local header, err = signature_header(options)
  if err then return nil, err end
  local events = event_list(options.events)
  if events and #events == 0 then return nil, usage_error("--events: at least one event name") end
  return { url = options.url, events = events, signature_header = header }
end

-- What referrals.webhooks returns, as JSON with the same names (lists kept lists when empty).
local function print_registration(reg)
  setmetatable(reg.events, referrals.array_mt)
  return output.print(reg)
end

local function register(hooks, _, options)
  if not options.url or not options.events then
    return nil, usage_error("webhook register needs --url URL and --events NAMES")
  end
  local spec, err = registration_spec(options)
  if not spec then return nil, err end
  if options["authorization-header"] then
    return nil, usage_error("--authorization-header is for update (register's default)")
  end
  local reg
  reg, err = hooks:register(spec)
  if not reg then return nil, err end
  return print_registration(reg)
end

local function update(hooks, _, options)
  local spec, err = registration_spec(options)
  if not spec then return nil, err end
  if spec.url == nil and spec.events == nil and spec.signature_header == nil then
    return nil, usage_error("webhook update needs --url, --events, --signature-header or "
      .. "--authorization-header")
  end
  local reg
  reg, err = hooks:update(spec)
  if not reg then return nil, err end
  return print_registration(reg)
end

local function show(hooks)
  local reg, err = hooks:get()
  if not reg then return nil, err end
  return print_registration(reg)
end

local function events(hooks)
  local names, err = hooks:event_names()
  if not names then return nil, err end
  return output.print(setmetatable(names, referrals.array_mt))
end

local function test(hooks)
  local id, err = hooks:test()
  if not id then return nil, err end
  return output.print { correlation_id = id }
end

local function verify(_, argv, options, cli)
  return webhook_verify.run(argv[1], options, cli.read_input)
end

local function status(hooks, argv)
  local s, err = hooks:test_status(argv[1])
  if not s then return nil, err end
  setmetatable(s.attempts, referrals.array_mt)
  return output.print(s)
end

--- The subcommands, in the order the help lists them: `name`, `usage`, `summary`, `args`
-- (how many positional arguments after the name), `offline` (needs neither a token nor the
-- service: `run` gets no registration client), `run(hooks, argv, options, cli)` -> true |
-- nil, err (`cli`: the command's helpers, see M.run).
M.subcommands = {
  { name = "register", usage = "register --url URL --events NAMES [--signature-header]", args = 0,
    summary = "register the receiver URL for the events; prints the registration", run = register },
  { name = "show", usage = "show", args = 0, summary = "print the registration", run = show },
  { name = "update", usage = "update [--url URL] [--events NAMES] [--signature-header | "
    .. "--authorization-header]", args = 0,
    summary = "change the registration (what is not given stays); prints it", run = update },
  { name = "events", usage = "events", args = 0, summary = "print the event names one may register for",
    run = events },
  { name = "test", usage = "test", args = 0,
    summary = "have Partner Center send a test-created event (2 a minute); prints its correlation_id",
    run = test },
  { name = "status", usage = "status CORRELATION_ID", args = 1,
    summary = "print a test event's delivery attempts", run = status },
  { name = "verify", usage = "verify FILE [--ca-file F] [--certificate-host H]...", args = 1,
    offline = true, run = verify,
    summary = "check a saved request (headers, empty line, body) as a receiver would; "
      .. "prints its event" },
}
for _, s in ipairs(M.subcommands) do M.subcommands[s.name] = s end

--- The usage line of `referrals webhook`.
-- @treturn string
function M.usage()
  local names = {}
  for i, s in ipairs(M.subcommands) do names[i] = s.name end
  return "webhook " .. table.concat(names, "|") .. " ..."
end

--- The lines of the help of `referrals webhook` that list the subcommands.
-- @treturn string
function M.subcommand_help()
  local lines = { "subcommands:" }
  for _, s in ipairs(M.subcommands) do
    lines[#lines + 1] = ("  %s\n      %s"):format(s.usage, s.summary)
  end
  lines[#lines + 1] = "The registration API is Partner Center's (https://api.partnercenter.microsoft.com,"
  lines[#lines + 1] = "or $REFERRALS_WEBHOOK_BASE_URL / --base-url); its tokens have that audience: they come"
  lines[#lines + 1] = "from $REFERRALS_WEBHOOK_TOKEN, --token-command, or the token cache (referrals login)."
  return table.concat(lines, "\n")
end

--- Runs `referrals webhook argv...`.
-- @tparam {string,...} argv the positional arguments: the subcommand and its arguments
-- @tparam table options the parsed options
-- @tparam table cli the command's helpers: `token(options, env_name, audience)` -> token or
--   token function | nil, err; `settings(options)` -> the options of referrals.new (timeout,
--   retries, deadline) | nil, err; `read_input(name)` -> text | nil, err
-- @treturn[1] boolean true
-- @return[2] nil
-- @treturn[2] Error err
function M.run(argv, options, cli)
  local sub = M.subcommands[argv[1]]
  if not sub then
    return nil, usage_error("webhook: unknown subcommand '%s' (%s)", tostring(argv[1]), M.usage())
  end
  if #argv - 1 ~= sub.args then
    return nil, usage_error("wrong number of arguments: referrals webhook %s", sub.usage)
  end
  local rest = { select(2, (table.unpack or unpack)(argv)) }
  if sub.offline then return sub.run(nil, rest, options, cli) end
  local token, err = cli.token(options, "REFERRALS_WEBHOOK_TOKEN", referrals.webhooks.RESOURCE)
  if not token then return nil, err end
  local settings
  settings, err = cli.settings(options)
  if not settings then return nil, err end
  settings.token = token
  settings.base_url = options["base-url"] or os.getenv("REFERRALS_WEBHOOK_BASE_URL")
  if settings.base_url == "" then settings.base_url = nil end
  local ok, hooks = pcall(referrals.webhooks.new, settings)
  if not ok then -- a refused option raises "bad argument #1 to 'new' (option 'base_url': ...)"
    return nil, usage_error("%s", (tostring(hooks):gsub("^.-%((.*)%)$", "%1")))
  end
  -- a 401's error names the token's audience and the one needed (the library says it)
  local done
  done, err = sub.run(hooks, rest, options, cli)
  hooks:close()
  return done, err
end

return M
