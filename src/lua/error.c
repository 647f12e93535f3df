/*
 * error.c: the error object scripts see. `return nil, err` where err is a table with
 * the fields of referrals_error (only those that apply) and a __tostring that reads well in
 * print(err) and assert(x, err).
 */
#include <string.h>

#include "binding.h"

static void set_string(lua_State *L, const char *name, const char *value) {
  if (!value[0]) return;
  lua_pushstring(L, value);
  lua_setfield(L, -2, name);
}

static void set_number(lua_State *L, const char *name, double value) {
  lua_pushnumber(L, value);
  lua_setfield(L, -2, name);
}

/* Counts and offsets are integers (math.type "integer" on 5.3+). */
static void set_integer(lua_State *L, const char *name, long value) {
  lua_pushinteger(L, (lua_Integer)value);
  lua_setfield(L, -2, name);
}

int referrals_push_error(lua_State *L, const referrals_error *err) {
  lua_pushnil(L);
  lua_createtable(L, 0, 8);
  set_string(L, "category", referrals_category_name(err->category));
  set_string(L, "code", err->code);
  set_string(L, "message", err->message);
  set_string(L, "field", err->field);
  set_string(L, "target", err->target);
  set_string(L, "request_id", err->request_id);
  set_string(L, "value", err->value);
  set_string(L, "raw_message", err->raw_message);
  set_string(L, "needed_audience", err->needed_audience);
  set_string(L, "audience", err->audience);
  if (err->position >= 0) set_integer(L, "position", err->position);
  if (err->status) set_integer(L, "status", err->status);
  if (err->retry_after >= 0) set_number(L, "retry_after", err->retry_after);
  if (err->attempts) set_integer(L, "attempts", err->attempts);
  lua_pushboolean(L, err->retryable);
  lua_setfield(L, -2, "retryable");
  if (err->in_doubt) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "in_doubt");
  }
  luaL_getmetatable(L, REFERRALS_ERROR_MT);
  lua_setmetatable(L, -2);
  return 2;
}

int referrals_push_ctx_error(lua_State *L, const referrals_ctx *ctx) {
  referrals_push_error(L, &ctx->err);
  if (ctx->err.category != REFERRALS_E_VALIDATION) return 2;
  unsigned n = ctx->nproblems ? ctx->nproblems : 1;
  lua_createtable(L, (int)n, 0);
  for (unsigned i = 0; i < n; i++) {
    referrals_push_error(L, ctx->nproblems ? &ctx->problems[i] : &ctx->err);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
    lua_pop(L, 1); /* push_error's nil */
  }
  lua_setfield(L, -2, "errors");
  return 2;
}

/* "validation error (enum): status: \"active\" is not one of ..." */
static int error_tostring(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "category");
  lua_getfield(L, 1, "code");
  lua_getfield(L, 1, "message");
  lua_pushfstring(L, "%s error (%s): %s", luaL_optstring(L, 2, "referrals"),
                  luaL_optstring(L, 3, "?"), luaL_optstring(L, 4, ""));
  return 1;
}

/* One operand of a concatenation as text: an error object as its tostring; strings and
 * numbers as Lua concatenates them; anything else is the error plain Lua raises. */
static void push_concat_operand(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TTABLE && lua_getmetatable(L, idx)) {
    luaL_getmetatable(L, REFERRALS_ERROR_MT);
    int ours = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (ours) {
      lua_pushcfunction(L, error_tostring);
      lua_pushvalue(L, idx);
      lua_call(L, 1, 1);
      return;
    }
  }
  if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TNUMBER)
    luaL_error(L, "attempt to concatenate a %s value", luaL_typename(L, idx));
  lua_pushvalue(L, idx);
}

/* "failed: " .. err and err .. "\n" read as tostring(err) does. */
static int error_concat(lua_State *L) {
  push_concat_operand(L, 1);
  push_concat_operand(L, 2);
  lua_concat(L, 2);
  return 1;
}

void referrals_error_open(lua_State *L) {
  if (luaL_newmetatable(L, REFERRALS_ERROR_MT)) {
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, error_concat);
    lua_setfield(L, -2, "__concat");
    lua_pushliteral(L, "referrals.error");
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
}
