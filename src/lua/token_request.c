/*
 * token_request.c: the OAuth token request of referrals.auth, over the module's own libcurl
 * layer. Registered as referrals.core.post_form, which referrals.auth takes off the table when
 * it loads: a member of no public table.
 */
#include <string.h>

#include "client_state.h"

/* post_form(opts, path, form) -> status, answer | nil, err: the token request of
 * lua/referrals/auth.lua, which takes it off the module table (spec §4), over the module's own
 * libcurl layer. opts are referrals.new's (base_url = the authority, TLS, timeouts, retries),
 * without a token; the answer is its JSON body as a Lua value (a body that is not JSON: nil, err).
 * The form may hold a secret: it never appears in an error, and its buffer is libcurl's only while
 * the call runs. */
int referrals_l_token_request(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const char *path = luaL_checkstring(L, 2);
  size_t len;
  const char *form = luaL_checklstring(L, 3, &len);
  lua_settop(L, 3);
  referrals_client_options o;
  referrals_lua_client_options(L, &o);
  lclient *lc = lua_newuserdata(L, sizeof *lc); /* 4: frees the client if a push raises */
  memset(lc, 0, sizeof *lc);
  luaL_getmetatable(L, CLIENT_MT);
  lua_setmetatable(L, 4);
  referrals_error err;
  referrals_error_clear(&err);
  lc->c = referrals_client_new(&o, &err);
  if (!lc->c) referrals_raise_client_error(L, &err);
  int rc = referrals_client_post_form(lc->c, path, form, len, &err);
  const referrals_response *r = referrals_client_response(lc->c);
  lua_pushinteger(L, (lua_Integer)r->status);
  if (rc == REFERRALS_OK) rc = referrals_push_json(L, r->body, r->body_len, &err);
  if (rc != REFERRALS_OK) err.status = r->status;
  referrals_client_free(lc->c);
  lc->c = NULL;
  return rc == REFERRALS_OK ? 2 : referrals_push_error(L, &err);
}
