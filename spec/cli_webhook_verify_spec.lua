-- `referrals webhook verify FILE` (issue 14) as a real process: saved requests made from the
-- bundled server's own signed events (GET /_fake/events), correct and under each fault mode;
-- the event printed, or the refusal's code on stderr with exit code 1.
local cjson = require "cjson"
local helper = require "spec.helper"

local quote = helper.quote
local KEYS = "tests/fixtures/webhook/"
local REFERRAL = "0b9e1d0c-7f4a-4a7e-9a1e-2f6b1c3d4e5f"

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

local function spit(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

describe("referrals webhook verify", function()
  local server, dir, remove_dir

  setup(function()
    server = helper.start { "--cert", KEYS .. "server.pem", "--key", KEYS .. "server.key",
      "--webhook-cert", KEYS .. "leaf.pem", "--webhook-key", KEYS .. "leaf.key",
      "--webhook-other-cert", KEYS .. "other-issuer.pem", "--webhook-other-key", KEYS .. "other-issuer.key",
      "--webhook-untrusted-cert", KEYS .. "untrusted-leaf.pem",
      "--webhook-untrusted-key", KEYS .. "untrusted-leaf.key" }
    dir, remove_dir = helper.tempdir()
  end)
  teardown(function()
    server.stop()
    remove_dir()
  end)
  before_each(function() server.reset() end)

  -- The bundled server's next event (under fault, if any), as the saved request of a receiver.
  -- It is sent nowhere that answers (port 9, discard); only its record is used.
  local function saved_request(fault, signature_header)
    if fault then server.control("POST", "event-faults", cjson.encode { mode = fault }) end
    server.control("POST", "events", cjson.encode { url = "http://127.0.0.1:9/",
      EventName = "referral-updated", referralId = REFERRAL, signature_header = signature_header })
    local e = server.control("GET", "events")[1]
    return "POST /webhook HTTP/1.1\r\nContent-Type: application/json\r\n" ..
      e.signature_header .. ": Signature " .. e.signature .. "\r\n" ..
      "X-MS-Certificate-Url: " .. e.certificate_url .. "\r\n" ..
      "X-MS-Signature-Algorithm: " .. e.algorithm .. "\r\n\r\n" .. e.body, e
  end

  -- Runs the command on text saved in a file (or on the file path, when text is nil).
  local function verify(text, path)
    path = path or dir .. "/request"
    if text then spit(path, text) end
    local cmd = { "env", quote("LUA_PATH=" .. package.path), quote("LUA_CPATH=" .. package.cpath),
      quote(helper.interpreter()), "bin/referrals", "webhook", "verify", quote(path),
      "--ca-file", KEYS .. "trusted.pem", "--certificate-host", "127.0.0.1:" .. server.port }
    local status, _, code = os.execute(table.concat(cmd, " ") .. " >" .. dir .. "/out 2>" .. dir .. "/err")
    if type(status) == "number" then code = math.floor(status / 256) end
    return { code = code, out = slurp(dir .. "/out"), err = slurp(dir .. "/err") }
  end

  it("prints the event of a signed request, with its referralId", function()
    local text, e = saved_request()
    local r = verify(text)
    assert.same({ 0, "" }, { r.code, r.err })
    local expected = cjson.decode(e.body)
    expected.referralId = REFERRAL
    assert.same(expected, cjson.decode(r.out))
  end)

  it("reads x-ms-signature, LF line ends, and a newline after Content-Length bytes", function()
    local text, e = saved_request(nil, true)
    assert.equal("x-ms-signature", e.signature_header)
    text = text:gsub("\r\n", "\n"):gsub("\n\n", "\nContent-Length: " .. #e.body .. "\n\n", 1) .. "\n"
    local r = verify(text)
    assert.same({ 0, "" }, { r.code, r.err })
    assert.equal(REFERRAL, cjson.decode(r.out).referralId)
  end)

  for _, case in ipairs {
    { "tampered_body", "signature" }, { "other_issuer", "certificate_issuer" },
    { "untrusted_chain", "certificate_chain" }, { "other_host", "certificate_url" },
    { "rsa_sha1", "algorithm" },
  } do
    it("refuses the " .. case[1] .. " fault: " .. case[2] .. ", exit code 1", function()
      local r = verify((saved_request(case[1])))
      assert.same({ 1, "" }, { r.code, r.out })
      assert.truthy(r.err:find("^referrals: webhook error %(" .. case[2] .. "%)"), r.err)
    end)
  end

  it("a file that is no saved request, or missing: usage errors, exit code 2", function()
    for _, text in ipairs { "no blank line here", "Authorization Signature x\n\n{}",
      "Content-Length: 99\n\n{}" } do
      local r = verify(text)
      assert.equal(2, r.code, r.err)
      assert.truthy(r.err:find("^referrals: usage error"), r.err)
    end
    local r = verify(nil, dir .. "/no-such-file")
    assert.equal(2, r.code)
    assert.truthy(r.err:find("^referrals: usage error %(usage%): cannot read"), r.err)
    assert.equal(0, #server.requests()) -- nothing fetched for a request never read
  end)
end)
