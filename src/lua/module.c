/*
 * module.c: luaopen_referrals_core, the C half of require "referrals" (the Lua facade in
 * lua/referrals/init.lua re-exports these). Each function returns its result or nil, err;
 * wrong argument types raise, as lauxlib's luaL_check* do.
 */
#include <string.h>

#include "binding.h"

static const char *const mode_names[] = {"create", "update", NULL};

/* The result of a call: on success what the function pushed, else nil, err. The error is
 * pushed before the context is released, so a finalizer that runs while we allocate cannot
 * overwrite it. */
int referrals_ctx_finish(lua_State *L, referrals_ctx *ctx, int rc) {
  int n = rc == REFERRALS_OK ? 1 : referrals_push_ctx_error(L, ctx);
  referrals_ctx_release(ctx);
  return n;
}

/* decode(json) -> table | nil, err */
static int l_decode(lua_State *L) {
  size_t len;
  const char *json = luaL_checklstring(L, 1, &len);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  int rc = referrals_push_decoded(L, ctx, &referrals_type_referral, json, len);
  return referrals_ctx_finish(L, ctx, rc);
}

/* _decode_structs(json) -> table | nil, err: the C API's way, JSON -> structs -> table, kept
 * as a test aid: the specs compare it member for member with decode's straight way (the
 * two sinks of one walk, issue 16). Not part of the API. */
static int l_decode_structs(lua_State *L) {
  size_t len;
  const char *json = luaL_checklstring(L, 1, &len);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  void *obj;
  int rc = referrals_decode(&referrals_type_referral, json, len, ctx->arena, &obj, &ctx->err);
  if (rc == REFERRALS_OK) referrals_push_struct(L, ctx, &referrals_type_referral, obj);
  return referrals_ctx_finish(L, ctx, rc);
}

/* _encode_structs(tbl [, mode]) -> json | nil, err: tbl into structs, then the walk over
 * them (the C API's way), validated in mode when one is given: a test aid the specs compare
 * member for member with encode and encode_valid, which walk the table itself. */
static int l_encode_structs(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int mode = lua_isnoneornil(L, 2) ? -1 : luaL_checkoption(L, 2, NULL, mode_names);
  lua_settop(L, 1);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  int rc = referrals_walk_structs(L, ctx, 1, mode, &ctx->out);
  if (rc == REFERRALS_OK) lua_pushlstring(L, ctx->out.data, ctx->out.len);
  return referrals_ctx_finish(L, ctx, rc);
}

/* mode < 0: no validation (encode keeps members the schema does not know). Shared with
 * client:create and create_many, which send ctx->out. Unknown keys are errors only when
 * creating: a referral read from the service may carry members newer than the schema. */
int referrals_encode_table(lua_State *L, referrals_ctx *ctx, int idx, int mode) {
  return referrals_walk_table(L, ctx, idx, mode, &ctx->out);
}

/* The mode at 2 and the options table after it: (tbl [, mode] [, opts]); -1 for encode,
 * whose options are at 2. Pushes the call's extra set (extra.c) and returns its index. */
static int read_call(lua_State *L, int *mode) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int opts = 2;
  if (*mode >= 0 && lua_type(L, 2) != LUA_TTABLE) {
    *mode = luaL_checkoption(L, 2, "create", mode_names);
    opts = 3;
  }
  if (!lua_isnoneornil(L, opts)) luaL_checktype(L, opts, LUA_TTABLE);
  lua_settop(L, opts);
  return referrals_extra_push(L, 0, opts, opts);
}

static int encode_as(lua_State *L, int mode) {
  int extra = read_call(L, &mode);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  ctx->extra = extra;
  int rc = referrals_encode_table(L, ctx, 1, mode);
  if (rc == REFERRALS_OK) lua_pushlstring(L, ctx->out.data, ctx->out.len);
  return referrals_ctx_finish(L, ctx, rc);
}

/* encode(tbl [, opts]) -> json | nil, err. It keeps unknown members anyway: opts.extra is
 * accepted (and checked) so that one options table serves every function. */
static int l_encode(lua_State *L) { return encode_as(L, -1); }

/* encode_valid(tbl [, mode] [, opts]) -> json | nil, err: validated and encoded in one
 * conversion, as client:create does before it sends anything. */
static int l_encode_valid(lua_State *L) { return encode_as(L, REFERRALS_MODE_CREATE); }

/* validate(tbl [, mode] [, opts]) -> true | nil, err */
static int l_validate(lua_State *L) {
  int mode = REFERRALS_MODE_CREATE;
  int extra = read_call(L, &mode);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  ctx->extra = extra;
  int rc = referrals_walk_table(L, ctx, 1, mode, NULL);
  if (rc == REFERRALS_OK) lua_pushboolean(L, 1);
  return referrals_ctx_finish(L, ctx, rc);
}

/* transition_allowed(from_status, to_status [, to_substatus]) -> true | false, reason */
static int l_transition_allowed(lua_State *L) {
  const char *from = luaL_checkstring(L, 1);
  const char *to = luaL_checkstring(L, 2);
  const char *sub = luaL_optstring(L, 3, NULL);
  const char *reason = NULL;
  if (referrals_transition_allowed(from, to, sub, &reason)) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  lua_pushstring(L, reason ? reason : "transition not allowed");
  return 2;
}

static const luaL_Reg functions[] = {{"decode", l_decode},
                                     {"_decode_structs", l_decode_structs},
                                     {"_encode_structs", l_encode_structs},
                                     {"encode", l_encode},
                                     {"validate", l_validate},
                                     {"encode_valid", l_encode_valid},
                                     {"transition_allowed", l_transition_allowed},
                                     {NULL, NULL}};

#if defined(_WIN32)
__declspec(dllexport)
#else
__attribute__((visibility("default")))
#endif
    int luaopen_referrals_core(lua_State *L) {
  lua_newtable(L);
  int module = lua_gettop(L);
  referrals_error_open(L);
  referrals_ctx_open(L); /* the shared context: every function's upvalue */
  referrals_client_open(L, module);
  referrals_private_file_open(L, module);
  luaL_setfuncs(L, functions, 1);
  referrals_schema_open(L, module);
  referrals_json_open(L, module);
  referrals_webhook_open(L, module);
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, module, "null");
  lua_pushliteral(L, REFERRALS_VERSION); /* _VERSION, as lua-cjson and LuaSocket name it */
  lua_setfield(L, module, "_VERSION");
  lua_pushliteral(L, REFERRALS_VERSION);
  lua_setfield(L, module, "VERSION");
  return 1;
}
