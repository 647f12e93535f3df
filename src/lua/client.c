/*
 * client.c: referrals.new and the client userdata (issue 3). The userdata owns the C
 * client (include/referrals_client.h: the curl handle, headers, buffers), so a Lua error
 * raised anywhere cannot leak it: __gc frees it, and so do __close (5.4) and client:close().
 * The operations are in operations.c, their hooks (token, log) in call.c.
 */
#include <curl/curl.h>
#include <string.h>

#include "client_state.h"

/* ---- referrals.new(opts) ------------------------------------------------------------------- */

/* A refused option value raises like a wrong type: "option 'base_url': expected ...". The
 * C messages start with "<field>: ". */
void referrals_raise_client_error(lua_State *L, const referrals_error *err) {
  if (err->category == REFERRALS_E_MEMORY) luaL_error(L, "referrals: out of memory");
  size_t n = strlen(err->field);
  if (n && strncmp(err->message, err->field, n) == 0 && strncmp(err->message + n, ": ", 2) == 0)
    luaL_argerror(L, 1, lua_pushfstring(L, "option '%s': %s", err->field, err->message + n + 2));
  luaL_argerror(L, 1, err->message);
}

/* referrals.new(opts) -> client; wrong options raise. */
static int l_new(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  referrals_client_options o;
  referrals_lua_client_options(L, &o);
  lua_pushliteral(L, "token");
  lua_rawget(L, 1);
  int token_type = lua_type(L, 2);
  if (token_type == LUA_TNIL) referrals_lua_option_error(L, "token", "string or function");

  lclient *lc = lua_newuserdata(L, sizeof *lc); /* 3 */
  memset(lc, 0, sizeof *lc);
  luaL_getmetatable(L, CLIENT_MT);
  lua_setmetatable(L, 3);
  lua_createtable(L, USERVALUE_SLOTS,
                  0); /* every slot in the array part: storing allocates nothing */
  lua_pushcfunction(L, referrals_lua_call_hook);
  lua_rawseti(L, -2, HOOK_FN);
  if (token_type == LUA_TFUNCTION) {
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, TOKEN_FN);
  }
  lua_pushliteral(L, "log");
  lua_rawget(L, 1);
  lc->log_fn = !lua_isnil(L, -1);
  lua_rawseti(L, -2, LOG_FN);
  lua_pushliteral(L, "deadline");
  lua_rawget(L, 1);
  /* checked by referrals_lua_client_options; nil: the default, 0: none */
  lc->deadline = lua_isnil(L, -1) ? REFERRALS_DEFAULT_DEADLINE : (double)lua_tonumber(L, -1);
  lua_pop(L, 1);
  referrals_extra_push(L, 0, 1, 1);
  lua_rawseti(L, -2, EXTRA);
  lua_pushstring(L, o.base_url ? o.base_url : REFERRALS_DEFAULT_BASE_URL);
  lua_rawseti(L, -2, BASE_URL);
  set_uservalue(L, 3);

  referrals_error err;
  referrals_error_clear(&err);
  lc->c = referrals_client_new(&o, &err); /* owned by the userdata from here on */
  if (!lc->c) referrals_raise_client_error(L, &err);
  lc->token_fn = token_type == LUA_TFUNCTION;
  if (token_type == LUA_TSTRING) {
    size_t len;
    const char *token = lua_tolstring(L, 2, &len);
    if (referrals_client_set_token(lc->c, token, len, &err) != REFERRALS_OK)
      referrals_raise_client_error(L, &err);
  }
  return 1;
}

/* client:close() -> true: frees the connection and the buffers now; later calls get nil,
 * err (code "closed"). Also __gc and __close. */
static int l_close(lua_State *L) {
  lclient *lc = check_client(L);
  if (lc->held) /* the run's transfers use the client's memory until it returns */
    lc->close_pending = 1;
  else {
    referrals_client_free(lc->c);
    lc->c = NULL;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* Never shows the token: only the base URL and whether the client is closed. */
static int l_tostring(lua_State *L) {
  lclient *lc = check_client(L);
  get_uservalue(L, 1);
  lua_rawgeti(L, -1, BASE_URL);
  lua_pushfstring(L, "referrals.client (%s%s)", lua_tostring(L, -1), lc->c ? "" : ", closed");
  return 1;
}

/* referrals.error(fields) -> fields as an error object: the Lua helpers (client.lua) refuse
 * locally with the same kind of object the C operations return. */
static int l_error(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_getfield(L, 1, "retryable");
  if (lua_isnil(L, -1)) {
    lua_pushboolean(L, 0);
    lua_setfield(L, 1, "retryable");
  }
  lua_pop(L, 1);
  luaL_getmetatable(L, REFERRALS_ERROR_MT);
  lua_setmetatable(L, 1);
  return 1;
}

/* hold: marks the client at 1 as used by an operation or a run, so that close() waits for
 * its end; returns 0 when it is held already. Unhold: closes it if close() came meanwhile. */
int referrals_client_extra(lua_State *L, int opts, int arg) {
  check_client(L);
  get_uservalue(L, 1);
  lua_rawgeti(L, -1, EXTRA);
  lua_replace(L, -2);
  int base = lua_gettop(L);
  int set = referrals_extra_push(L, base, opts, arg);
  lua_replace(L, base); /* one value pushed, as referrals_extra_push does */
  return set ? base : 0;
}

int referrals_client_hold(lua_State *L, int hold) {
  lclient *lc = check_client(L);
  if (hold && lc->held) return 0;
  lc->held = hold;
  if (!hold && lc->close_pending) {
    l_close(L);
    lua_pop(L, 1); /* its true */
  }
  return 1;
}

static const luaL_Reg methods[] = {{"create_many", referrals_l_create_many},
                                   {"get_many", referrals_l_get_many},
                                   {"list_many", referrals_l_list_many},
                                   {"update_many", referrals_l_update_many},
                                   {"close", l_close},
                                   {NULL, NULL}};

/* Unreachable, so no run holds it (a run keeps its client on the stack). */
static int l_gc(lua_State *L) {
  check_client(L)->held = 0;
  return l_close(L);
}

static const luaL_Reg metamethods[] = {
    {"__gc", l_gc}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};

void referrals_client_open(lua_State *L, int module) {
  /* libcurl's global state, once per process: later calls only count up. Before libcurl
   * 7.84 (and in builds without atomics) curl_global_init is not thread-safe: a host that
   * opens the module in several threads at once must call it itself, first. */
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int ctx = lua_gettop(L);
  luaL_newmetatable(L, CLIENT_MT);
  lua_pushvalue(L, ctx);
  luaL_setfuncs(L, metamethods, 1);
  lua_newtable(L);
  lua_pushvalue(L, ctx);
  luaL_setfuncs(L, referrals_client_operations, 1);
  lua_pushvalue(L, ctx);
  luaL_setfuncs(L, methods, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, module, "Client"); /* the Lua helpers add their methods here */
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushvalue(L, ctx);
  lua_pushcclosure(L, l_new, 1);
  lua_setfield(L, module, "new");
  lua_pushcfunction(L, l_error);
  lua_setfield(L, module, "error");
  lua_pushcfunction(L, referrals_l_token_request);
  lua_setfield(L, module, "post_form");
  lua_pushvalue(L, ctx);
  lua_pushcclosure(L, referrals_l_json_request, 1);
  lua_setfield(L, module, "json_request");
}
