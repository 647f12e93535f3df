-- Both ways through each walk (issue 16). Decode: referrals.decode builds its tables
-- straight from the text; referrals._decode_structs goes the C API's way, into structs
-- first, then tables. Encode: referrals.encode and encode_valid check and write the table in
-- one walk; referrals._encode_structs converts it into structs first and walks those. Each
-- pair must give the same referral member for member, the same JSON bytes, and the same
-- errors for what either refuses.
local referrals = require "referrals"
local fixtures = require "fixtures"

local function both(text)
  local direct, err1 = referrals.decode(text)
  local structs, err2 = referrals._decode_structs(text)
  return direct, structs, err1, err2
end

local function same_referral(text)
  local direct, structs, err1, err2 = both(text)
  assert(direct, err1)
  assert(structs, err2)
  assert.same(structs, direct)
  -- encode writes [] and {} from what each path built: the metatables of empty arrays count
  -- (a shape the schema does not take, "10000" for a number, is refused by both)
  local json1, e1 = referrals.encode(structs)
  local json2, e2 = referrals.encode(direct)
  assert.same({ json1, e1 and e1.message }, { json2, e2 and e2.message })
  return direct
end

describe("the decode walk's two sinks", function()
  it("build the same documented create response", function()
    local ref = same_referral(fixtures.read("create-response.json"))
    assert.equal("Shared", ref.type)
  end)

  it("build the same real-shaped response: nulls, empty strings, undocumented members", function()
    local ref = same_referral(fixtures.read("real-shaped-response.json"))
    assert.is_table(ref.customerProfile)
  end)

  it("build the same from shapes the schema does not expect, escapes, repeats", function()
    for _, text in ipairs {
      '{}',
      '{"id":null,"type":null,"target":null,"details":null}',
      '{"target":{},"details":{"dealValue":"10000"},"customerProfile":{"ids":{}}}',
      '{"target":[null,{"type":"None"},3,"x",[]],"tags":["a",null,{},"b"]}',
      '{"\\u0069d":"escaped key","n\\u0061me":"caf\\u00e9 \\ud83d\\ude00","zz\\n":1}',
      '{"id":"first","id":"second","xx":1,"xx":2,"customerProfile":{"name":"a"},' ..
        '"customerProfile":{"size":"1to50employees"}}',
      '{"details":{"incentiveLevel":{"a":[1,2,{"b":null}],"c":[]},"dealValue":1e300},' ..
        '"lastRunId":[],"attributes":[{}],"exception":"x"}',
      '{"unknown":{"deep":[[[[{"x":[]}]]]]},"favorite":true,"isSpam":false}',
      ' \n{ "name" : "spaced" , "target" : [ { "id" : "a" } ] , "other" : [ 1 , 2 ] }\n ',
      '{"details":{"dealValue":-0.0,"closingDateTime":"2019-02-23T02:05:23.2931817Z"}}',
      '{"status":"active","substatus":"Nope","direction":""}',
    } do
      same_referral(text)
    end
  end)

  it("refuse the same documents with the same errors", function()
    for _, text in ipairs {
      '', '   ', '[]', '"x"', '{', '{"id":', '{"id":"x",}', '{"id":"x"} x', '{"id":tru}',
      '{"target":[{"id":"x"},]}', '{"id":"\\x"}', '{"id":"\1"}', '{"dealValue":01}',
      '{"details":{"dealValue":1e999}}', '{"a":' .. ("["):rep(70) .. ("]"):rep(70) .. '}',
      '{"customerProfile":' .. ("{\"x\":"):rep(70) .. "1" .. ("}"):rep(71),
      '{"target":[' .. ("{},"):rep(200000) .. '{}]}',
      '{"name":"\255"}', '{"zz\\ud800":1,"id":"a"b}',
    } do
      local direct, structs, err1, err2 = both(text)
      assert.is_nil(direct, text)
      assert.is_nil(structs, text)
      assert.same({ err2.category, err2.code, err2.position, err2.message },
        { err1.category, err1.code, err1.position, err1.message }, text)
    end
  end)
end)

-- every problem of an error as text, in order
local function problems(err)
  local out = {}
  for i, e in ipairs(err.errors or { err }) do
    out[i] = table.concat({ e.code, e.field or "", e.value or "", e.message }, "|")
  end
  return out
end

local function same_error(err1, err2, what)
  assert.same({ err2.category, err2.code, err2.field, err2.message, err2.value },
    { err1.category, err1.code, err1.field, err1.message, err1.value }, what)
  assert.same(problems(err2), problems(err1), what)
end

describe("the encode walk's two sources", function()
  local cjson = require "cjson"

  local function request() return cjson.decode(fixtures.read("create-request.json")) end

  it("write the documented request byte for byte, validated or not", function()
    local json = assert(referrals.encode_valid(request()))
    assert.equal(json, assert(referrals._encode_structs(request(), "create")))
    assert.equal((fixtures.read("create-request.json"):gsub("%s+$", "")), json)
    assert.equal(assert(referrals._encode_structs(request())), assert(referrals.encode(request())))
  end)

  it("write the same read referrals back, unknown members in the same place", function()
    for _, name in ipairs { "create-response.json", "real-shaped-response.json" } do
      local ref = assert(referrals.decode(fixtures.read(name)))
      ref.someNewMember, ref.customerProfile.alsoNew = { 1, { a = true } }, "x"
      assert.equal(assert(referrals._encode_structs(ref)), assert(referrals.encode(ref)), name)
      assert.equal(assert(referrals._encode_structs(ref, "update")),
        assert(referrals.encode_valid(ref, "update")), name)
    end
  end)

  it("refuse the same tables with the same errors, every problem in the same order", function()
    local cases = {
      function(r) r.id, r.eTag, r.status = "x", '"e"', "active" end,
      function(r) r.details.closingDateTime = "soon"; r.type = "shared" end,
      function(r) r.ReferralType, r.customerProfile = "Shared", nil end,
      function(r) r.details.dealValue = "10000" end,
      function(r) r.target = { { type = "Nope" }, "x" } end,
      function(r) r.target = { [1] = { id = "a" }, [3] = { id = "b" } } end,
      function(r) r.customerProfile.team[1].emailAddress = "a@b" end,
      function(r) r.details.dealValue = 0 / 0 end,
      function(r) r.name = "caf\233" end,
      function(r) r.details.closingDateTime = 1e300 end,
      function(r) r.status, r.substatus = "Closed", "Pending" end,
      function(r) r[1] = "array item" end,
      function(r) r.consent = referrals.null end,
      function(r) r.details.incentiveLevel = { f = print } end,
      function(r) r.favorite = "yes"; r.id = "x" end,
    }
    for i, change in ipairs(cases) do
      local r = request()
      change(r)
      for _, mode in ipairs { "create", "update" } do
        local json1, err1 = referrals.encode_valid(r, mode)
        local json2, err2 = referrals._encode_structs(r, mode)
        assert.equal(json2, json1, "case " .. i .. " " .. mode)
        if err1 or err2 then same_error(assert(err1), assert(err2), "case " .. i .. " " .. mode) end
        local ok1, verr = referrals.validate(r, mode)
        assert.equal(json1 ~= nil, ok1 == true, "case " .. i .. " " .. mode)
        if verr then same_error(verr, err1, "case " .. i .. " " .. mode) end
      end
      local json1, err1 = referrals.encode(r)
      local json2, err2 = referrals._encode_structs(r)
      assert.equal(json2, json1, "case " .. i)
      if err1 or err2 then same_error(assert(err1), assert(err2), "case " .. i) end
    end
  end)
end)
