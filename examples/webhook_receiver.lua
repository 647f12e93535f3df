-- A webhook receiver for Partner Center's referral events, on lua-http: every POST is
-- verified (signature, certificate, chain) before anything is done with it; a bad one gets
-- 401, a good one 200 at once, and then the referral it names is fetched from the API and
-- printed. The event is only a hint: what counts is the referral read back.
--
--   REFERRALS_BASE_URL=... REFERRALS_TOKEN=... lua5.1 examples/webhook_receiver.lua [PORT]
--
-- PORT defaults to 8080 (0 picks a free one); the first line printed is
-- "listening on http://127.0.0.1:PORT/". Also read from the environment:
--   REFERRALS_WEBHOOK_CA_FILE      PEM bundle that signs the certificate (default: the system's)
--   REFERRALS_WEBHOOK_CERT_HOSTS   comma-separated hosts (host or host:port) the certificate may
--                                  come from (default: Partner Center's)
--   REFERRALS_CA_FILE              PEM bundle for the API's TLS (default: the system's)
-- Debian packages lua-http for Lua 5.1, 5.2 and LuaJIT (apt-get install lua-http).
local referrals = require "referrals"

local base_url, token = os.getenv("REFERRALS_BASE_URL"), os.getenv("REFERRALS_TOKEN")
if not (base_url and token) then
  io.stderr:write("set REFERRALS_BASE_URL (the API, or the bundled server's URL) and REFERRALS_TOKEN\n")
  os.exit(2)
end
local port = tonumber(arg[1] or "8080")
if not port then
  io.stderr:write("usage: webhook_receiver.lua [PORT]\n")
  os.exit(2)
end
local has_http, http_server = pcall(require, "http.server")
if not has_http then
  io.stderr:write("this example needs lua-http (Debian: apt-get install lua-http, for Lua 5.1, " ..
    "5.2 and LuaJIT)\n")
  os.exit(1)
end
local http_headers = require "http.headers"

local hosts
if os.getenv("REFERRALS_WEBHOOK_CERT_HOSTS") then
  hosts = {}
  for host in os.getenv("REFERRALS_WEBHOOK_CERT_HOSTS"):gmatch("[^,%s]+") do hosts[#hosts + 1] = host end
end
-- One verifier for the whole run: it keeps each certificate until it expires.
local verifier = referrals.webhook.verifier {
  ca_file = os.getenv("REFERRALS_WEBHOOK_CA_FILE"), certificate_hosts = hosts,
}
local client = referrals.new { base_url = base_url, token = token, ca_file = os.getenv("REFERRALS_CA_FILE") }

local function say(...)
  print(...)
  io.stdout:flush()
end

local function answer(stream, status)
  local headers = http_headers.new()
  headers:append(":status", tostring(status))
  headers:append("content-length", "0")
  stream:write_headers(headers, true)
end

-- The referral an event names, read from the API (client:event_referral: from the client's own
-- base URL, never from the event's ResourceUri).
local function show_referral(event)
  local ref, err = client:event_referral(event)
  if not ref then
    say(("%s %s: cannot read it: %s"):format(event.EventName, event.referralId, tostring(err)))
    return
  end
  say(("%s %s %s/%s %q"):format(event.EventName, ref.id, tostring(ref.status),
    tostring(ref.substatus), tostring(ref.name)))
end

local function on_request(_, stream)
  local request = stream:get_headers()
  if request:get(":method") ~= "POST" then return answer(stream, 405) end
  local body = stream:get_body_as_string(10) or ""
  local headers = {}
  for name, value in request:each() do
    if name:sub(1, 1) ~= ":" then headers[name] = value end
  end
  local event, err = verifier:verify { body = body, headers = headers }
  if not event then
    say("refused (401): " .. err.code)
    return answer(stream, 401)
  end
  answer(stream, 200) -- at once: a slow answer costs one of the sender's ten attempts
  if event.referralId then
    show_referral(event)
  else
    say(("%s (names no referral)"):format(tostring(event.EventName)))
  end
end

local server = assert(http_server.listen {
  host = "127.0.0.1", port = port, onstream = on_request,
  onerror = function(_, context, op, err) say(("error: %s %s: %s"):format(context, op, tostring(err))) end,
})
assert(server:listen())
local _, host, bound = server:localname()
say(("listening on http://%s:%d/"):format(host, bound))
assert(server:loop())
