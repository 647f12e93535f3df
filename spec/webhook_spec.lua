-- spec/webhook_spec.lua: referrals.webhook.verifier against the bundled server serving the
-- committed test certificates over HTTPS at /cert/<name>.cer (issue 14). The requests are
-- signed here with the openssl command and the test keys, as Partner Center signs them.
local referrals = require "referrals"
local helper = require "spec.helper"

local KEYS = "tests/fixtures/webhook/"
local BODY = '{"EventName":"referral-updated","ResourceUri":"https://api.partnercenter.microsoft.com/' ..
  'engagements/v1/referrals/0b9e1d0c-7f4a-4a7e-9a1e-2f6b1c3d4e5f","ResourceName":"referral",' ..
  '"AuditUri":null,"ResourceChangeUtcDate":"2018-02-17T00:05:39.5485487+00:00"}'

-- "Signature <base64>" of body by the key file, from the openssl command.
local function sign(body, key, digest)
  local dir, remove = helper.tempdir()
  local f = assert(io.open(dir .. "/body", "wb"))
  f:write(body)
  f:close()
  local pipe = assert(io.popen("openssl dgst -" .. (digest or "sha256") .. " -sign " .. KEYS ..
    key .. " " .. dir .. "/body | base64 -w0"))
  local out = pipe:read("*a")
  pipe:close()
  remove()
  assert(#out > 300, "openssl did not sign")
  return "Signature " .. out
end

local function start(cert)
  return helper.start { "--cert", KEYS .. "server.pem", "--key", KEYS .. "server.key",
    "--webhook-cert", KEYS .. cert }
end

local function fetches(server)
  local n = 0
  for _, r in ipairs(server.requests()) do
    if r.path:match("^/cert/") then n = n + 1 end
  end
  return n
end

local function request(server, overrides)
  local o = overrides or {}
  local headers = {
    Authorization = sign(o.signed_body or BODY, o.key or "leaf.key", o.digest),
    ["X-MS-Certificate-Url"] = o.url or (server.base_url .. "/cert/pcnotifications-dispatch.test.cer"),
    ["X-MS-Signature-Algorithm"] = o.algorithm or "rsa-sha256",
  }
  for _, drop in ipairs(o.drop or {}) do headers[drop] = nil end
  return { body = o.body or BODY, headers = headers }
end

describe("referrals.webhook.verifier", function()
  local server, verifier
  setup(function()
    server = start("leaf.pem")
    verifier = referrals.webhook.verifier {
      certificate_hosts = { "127.0.0.1:" .. server.port },
      ca_file = KEYS .. "trusted.pem",
    }
  end)
  teardown(function() server.stop() end)
  before_each(function() server.reset() end)

  it("accepts a signed event, decodes it and names its referral; one fetch for ten", function()
    for _ = 1, 10 do
      local event, err = verifier:verify(request(server))
      assert.is_nil(err)
      assert.equal("referral-updated", event.EventName)
      assert.equal("0b9e1d0c-7f4a-4a7e-9a1e-2f6b1c3d4e5f", event.referralId)
      assert.equal(referrals.null, event.AuditUri)
    end
    assert.equal(1, fetches(server))
    assert.equal(1, verifier:fetch_count())
  end)

  it("reads the header names in any case and x-ms-signature as bare base64", function()
    local r = request(server)
    local sig = r.headers.Authorization
    r.headers = { ["x-ms-signature"] = sig:sub(11),
      ["x-ms-certificate-url"] = r.headers["X-MS-Certificate-Url"],
      ["X-Ms-Signature-Algorithm"] = "rsa-sha256" }
    assert.truthy(verifier:verify(r))
  end)

  local function refused(code, r, v)
    local event, err = (v or verifier):verify(r)
    assert.is_nil(event)
    assert.equal("webhook", err.category)
    assert.equal(code, err.code)
  end

  it("refuses a tampered body, rsa-sha1, a missing header, a body that is no object", function()
    refused("signature", request(server, { body = BODY:gsub("updated", "created") }))
    refused("algorithm", request(server, { algorithm = "rsa-sha1", digest = "sha1" }))
    refused("missing_header", request(server, { drop = { "Authorization" } }))
    refused("missing_header", request(server, { drop = { "X-MS-Certificate-Url" } }))
    refused("json", request(server, { body = '{"EventName":', signed_body = '{"EventName":' }))
    refused("json", request(server, { body = '"text"', signed_body = '"text"' }))
  end)

  it("refuses certificate URLs on another host, not https, or off /cert/, with no request", function()
    local base = server.base_url
    for _, url in ipairs {
      "https://127.0.0.2:" .. server.port .. "/cert/x.cer",
      base:gsub("^https", "http") .. "/cert/x.cer",
      base .. "/other/x.cer",
      base .. "/cert/x.cer?x=1",
      "https://u@127.0.0.1:" .. server.port .. "/cert/x.cer",
    } do
      refused("certificate_url", request(server, { url = url }))
    end
    assert.equal(0, fetches(server))
  end)

  it("refuses a certificate it cannot fetch", function()
    local v = referrals.webhook.verifier { certificate_hosts = { "127.0.0.1:" .. server.port } }
    refused("certificate_fetch", request(server), v) -- system store: the test CA is unknown
  end)

  for _, case in ipairs {
    { "other-issuer.pem", "other-issuer.key", "certificate_issuer" },
    { "untrusted-leaf.pem", "untrusted-leaf.key", "certificate_chain" },
  } do
    it("refuses a certificate: " .. case[3], function()
      local s = start(case[1])
      local v = referrals.webhook.verifier {
        certificate_hosts = { "127.0.0.1:" .. s.port }, ca_file = KEYS .. "trusted.pem" }
      local ok, err = pcall(refused, case[3], request(s, { key = case[2] }), v)
      s.stop()
      assert(ok, err)
    end)
  end
end)
