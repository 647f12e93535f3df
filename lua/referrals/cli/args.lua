--- referrals.cli.args: the command line of `referrals`: the commands, their options, their
-- help, and the parser. One table describes each command, so the parser and `--help` cannot
-- disagree.
-- @module referrals.cli.args
local webhook = require "referrals.cli.webhook"

local M = {}

-- Options of every command that calls an API (all but login, logout, whoami). A string value
-- names the option's argument; true: a flag.
local API_OPTIONS = {
  { "base-url", "URL", "the API (default $REFERRALS_BASE_URL, for webhook $REFERRALS_WEBHOOK_BASE_URL)" },
  { "token-command", "CMD", "run CMD and use what it prints as the token (default $REFERRALS_TOKEN, "
    .. "for webhook $REFERRALS_WEBHOOK_TOKEN)" },
  { "timeout", "S", "seconds one request may take (referrals.new's timeout)" },
  { "retries", "N", "how often a failed request is tried again (referrals.new's retries)" },
  { "deadline", "S", "seconds one command's call may take, retries included" },
}
-- Options every command takes.
local COMMON_OPTIONS = {
  { "json-errors", true, "after the one-line error on stderr, write the error object as JSON" },
  { "help", true, "show this help" },
}

-- An option given more than once (`many`): its value is the list of what each gave.
local EXTRA = { "extra", "PATH", "send the member at PATH (e.g. details.solutionArea) as given, "
  .. "though the schema does not know it; repeatable", many = true }

--- The commands, in the order `referrals --help` lists them. `args`: how many positional
-- arguments (`n` exactly, or `min` and more); `offline`: gets no referrals client (it needs
-- no token nor server, or makes its own client, as `webhook` does); `no_api_options`: takes
-- none of API_OPTIONS (the token cache's commands: they would be ignored).
M.commands = {
  { name = "create", usage = "create FILE.json", args = { n = 1 },
    summary = "create a referral from FILE.json; prints the created referral",
    options = { EXTRA } },
  { name = "share", usage = "share FILE.json | --resume ID [--partner ID] [--notes TEXT]",
    args = { min = 0 },
    summary = "create a shared referral and its connected half; prints both",
    details = "Step 1 creates your referral, step 2 the connected one that invites the partner.\n"
      .. "If step 2 fails, stderr names the step-1 referral and the error (with --json-errors)\n"
      .. "carries it as \"created\"; `referrals share --resume ID` then runs step 2 alone.",
    options = { { "partner", "ID", "the partner's BusinessProfileLocation id (default msft)" },
      { "notes", "TEXT", "the invitation notes (inviteContext.notes)" },
      { "resume", "ID", "finish the engagement of the step-1 referral ID (no new engagement)" },
      EXTRA } },
  { name = "get", usage = "get ID", args = { n = 1 }, summary = "print one referral" },
  { name = "list", usage = "list [--filter ODATA | --engagement ID | --status S] [--all]",
    args = { n = 0 },
    summary = "print referrals as a JSON array: the first page, or all with --all",
    options = { { "filter", "ODATA", "a raw OData $filter, e.g. \"status eq 'Active'\"" },
      { "engagement", "ID", "only the referrals of this engagement" },
      { "status", "S", "only the referrals with this status (with --engagement: both)" },
      { "all", true, "follow every next link (a progress bar on stderr when it is a terminal)" } } },
  { name = "update", usage = "update ID PATH=VALUE... [--etag E]", args = { min = 2 },
    summary = "change a referral (JSON Patch); prints the updated referral",
    details = "PATH=text sets a string (a number or true/false where the member is one),\n"
      .. "PATH:=json any JSON value:\n"
      .. "  referrals update ID status=Closed substatus=Won details.dealValue=10000",
    options = { { "etag", "E", "send If-Match: E (a stale one fails with 412)" }, EXTRA } },
  { name = "bulk", usage = "bulk FILE.jsonl [--concurrency N]", args = { n = 1 },
    summary = "create one referral per line of FILE.jsonl; JSON lines out",
    details = "Prints one JSON line per input line, in input order: the created referral, or\n"
      .. "{\"line\":N,\"error\":{...}}. Blank lines are skipped. The exit code is the first\n"
      .. "failure's.",
    options = { { "concurrency", "N", "requests in flight at once, 1 to 256 (default 8)" },
      EXTRA } },
  { name = "sync", usage = "sync FILE [--apply] [--concurrency N]", args = { n = 1 },
    summary = "make Partner Center match the referrals of FILE, keyed by externalReferenceId",
    details = "FILE holds a JSON array of referrals, or one referral per line. Prints the plan\n"
      .. "(creates, updates with their JSON Patch paths, conflicts): a table on a terminal,\n"
      .. "JSON otherwise. With --apply the plan is written (a progress bar on stderr when it\n"
      .. "is a terminal). An item with \"type\": \"Shared\" gets both halves of a co-sell\n"
      .. "engagement. Exit code 5 when conflicts or item errors remain.",
    options = { { "apply", true, "write the plan (without: only show it)" },
      { "concurrency", "N", "look-ups, then creates, in flight at once, 1 to 256 (default 8)" },
      EXTRA } },
  { name = "webhook", usage = webhook.usage(), args = { min = 1 }, offline = true,
    summary = "register a webhook with Partner Center, show or change it, send test events",
    details = webhook.subcommand_help(), options = webhook.OPTIONS },
  { name = "validate", usage = "validate FILE.json", args = { n = 1 }, offline = true,
    summary = "check FILE.json for create, offline; prints {\"valid\":true}",
    options = { EXTRA } },
  { name = "login", usage = "login [--tenant T] [--client-id C]", args = { n = 0 }, offline = true,
    summary = "sign in with a device code; keeps the refresh token in the token cache",
    details = "Prints a code and a page to open on stderr; sign in there (multi-factor works).\n"
      .. "The refresh token goes to $XDG_CONFIG_HOME/referrals/tokens.json (owner-only); later\n"
      .. "commands use it when neither $REFERRALS_TOKEN nor --token-command is given.\n"
      .. "$REFERRALS_AUTHORITY replaces https://login.microsoftonline.com (e.g. the bundled server).",
    no_api_options = true, options = { { "tenant", "T", "your tenant (default $REFERRALS_TENANT, else organizations)" },
      { "client-id", "C", "your app registration's client id (default $REFERRALS_CLIENT_ID)" } } },
  { name = "logout", usage = "logout", args = { n = 0 }, offline = true, no_api_options = true,
    summary = "forget the cached tokens" },
  { name = "whoami", usage = "whoami", args = { n = 0 }, offline = true, no_api_options = true,
    summary = "print the signed-in account (UPN), its tenant, the client and audiences (never a token)" },
}
for _, c in ipairs(M.commands) do M.commands[c.name] = c end

local EXIT_CODES = "exit codes: 0 ok, 1 API/HTTP error or refused webhook request, 2 usage,\n"
  .. "3 validation, 4 transport, 5 conflicts remain (sync)"

local function option_lines(out, options)
  for _, o in ipairs(options or {}) do
    local left = "--" .. o[1] .. (o[2] == true and "" or " " .. o[2])
    out[#out + 1] = ("  %-22s %s"):format(left, o[3])
  end
end

--- The help text of a command, or of the whole program when command is nil.
-- @tparam[opt] table command one of M.commands
-- @treturn string
function M.help(command)
  local out = {}
  if command then
    out[1] = "usage: referrals " .. command.usage .. " [options]"
    out[2] = ""
    out[3] = command.summary .. "."
    if command.details then out[4] = command.details end
    if command.usage:find("FILE", 1, true) then out[#out + 1] = "FILE may be - for stdin." end
    out[#out + 1] = ""
    out[#out + 1] = "options:"
    option_lines(out, command.options)
  else
    out[1] = "usage: referrals COMMAND [options]   (referrals COMMAND --help for details)"
    out[2] = ""
    out[3] = "commands:"
    for _, c in ipairs(M.commands) do out[#out + 1] = ("  %-22s %s"):format(c.name, c.summary) end
    out[#out + 1] = ""
    out[#out + 1] = "options:"
    out[#out + 1] = ("  %-22s %s"):format("--version", "print the version")
  end
  if not (command and command.no_api_options) then option_lines(out, API_OPTIONS) end
  option_lines(out, COMMON_OPTIONS)
  out[#out + 1] = ""
  out[#out + 1] = "The token comes from $REFERRALS_TOKEN, --token-command or `referrals login`,"
  out[#out + 1] = "never from an argument (arguments show in ps). $REFERRALS_CA_FILE: a PEM bundle"
  out[#out + 1] = "to trust for the APIs' and the sign-in's TLS. Output is JSON on stdout, indented"
  out[#out + 1] = "on a terminal."
  out[#out + 1] = EXIT_CODES
  return table.concat(out, "\n") .. "\n"
end

local function find_option(command, name)
  local api = not (command and command.no_api_options) and API_OPTIONS or {}
  for _, list in ipairs { COMMON_OPTIONS, api, command and command.options or {} } do
    for _, o in ipairs(list) do
      if o[1] == name then return o end
    end
  end
end

local function count_ok(spec, n)
  if spec.n then return n == spec.n end
  return n >= spec.min
end

--- Parses the arguments after the program name.
-- @tparam {string,...} argv the arguments
-- @treturn table|nil `{ command = <one of M.commands, or nil>, options = { name = value },
-- args = { ... }, version = true|nil }`; a repeatable option's value (`--extra`) is the list
-- of the values given
-- @treturn[opt] string the usage error
function M.parse(argv)
  local parsed = { options = {}, args = {} }
  local i, only_args = 1, false
  while i <= #argv do
    local a = argv[i]
    local name, inline = a:match("^%-%-([%w-]+)=(.*)$")
    name = name or a:match("^%-%-([%w-]+)$")
    if only_args or not name then
      if a == "--" and not only_args then
        only_args = true
      elseif not parsed.command and not only_args then
        parsed.command = M.commands[a]
        if not parsed.command then return nil, ("unknown command '%s'"):format(a) end
      else
        parsed.args[#parsed.args + 1] = a
      end
    elseif name == "version" and not parsed.command then
      parsed.version = true
    elseif name == "token" then
      return nil, "--token is refused (arguments show in ps): set REFERRALS_TOKEN or use --token-command"
    else
      local o = find_option(parsed.command, name)
      if not o then return nil, ("unknown option '--%s'"):format(name) end
      local value = true
      if o[2] ~= true then
        value = inline
        if not value then
          i = i + 1
          value = argv[i]
        end
        if not value then return nil, ("--%s needs a value (%s)"):format(name, o[2]) end
      elseif inline then
        return nil, ("--%s takes no value"):format(name)
      end
      if o.many then
        local list = parsed.options[name] or {}
        list[#list + 1] = value
        value = list
      end
      parsed.options[name] = value
    end
    i = i + 1
  end
  local c = parsed.command
  if c and not parsed.options.help and not count_ok(c.args, #parsed.args) then
    return nil, ("wrong number of arguments: referrals %s"):format(c.usage)
  end
  return parsed
end

return M
