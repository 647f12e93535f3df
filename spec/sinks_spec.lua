-- The decode walk's two sinks (issue 16): referrals.decode builds its tables straight from
-- the text; referrals._decode_structs goes the C API's way, into structs first, then tables.
-- Both must give the same referral member for member, the same JSON when encoded again, and
-- the same error for a document either refuses.
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
