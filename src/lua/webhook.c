/*
 * webhook.c: referrals.webhook.verifier(opts) and v:verify{ body =, headers = }, a thin
 * binding over the core's verifier (include/referrals_webhook.h). The event table and its
 * referralId are made in lua/referrals/webhook.lua.
 */
#include <string.h>
#include <strings.h>

#include "binding.h"
#include "compat.h"
#include "referrals_webhook.h"

#define VERIFIER_MT "referrals.webhook.Verifier"

static referrals_webhook_verifier **check_verifier(lua_State *L) {
  referrals_webhook_verifier **v = luaL_checkudata(L, 1, VERIFIER_MT);
  if (!*v) luaL_error(L, "the webhook verifier is freed");
  return v;
}

static int l_gc(lua_State *L) {
  referrals_webhook_verifier **v = luaL_checkudata(L, 1, VERIFIER_MT);
  referrals_webhook_verifier_free(*v);
  *v = NULL;
  return 0;
}

static const char *opt_string(lua_State *L, const char *name) {
  lua_getfield(L, 1, name);
  const char *s = NULL;
  if (!lua_isnil(L, -1) && !(s = lua_tostring(L, -1)))
    luaL_error(L, "webhook.verifier: option %s must be a string", name);
  lua_pop(L, 1); /* the string stays alive: it is referenced by the options table */
  return s;
}

static double opt_number(lua_State *L, const char *name) {
  lua_getfield(L, 1, name);
  double d = 0;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) <= 0)
      luaL_error(L, "webhook.verifier: option %s must be a positive number", name);
    d = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return d;
}

/* webhook_verifier([opts]) -> verifier */
static int l_verifier(lua_State *L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  referrals_webhook_options o = {0};
  o.ca_file = opt_string(L, "ca_file");
  o.issuer_organization = opt_string(L, "issuer_organization");
  o.timeout_ms = (long)(opt_number(L, "timeout") * 1000);
  o.max_certificate_size = (size_t)opt_number(L, "max_certificate_size");
  o.max_body_size = (size_t)opt_number(L, "max_body_size");
  const char *hosts[32];
  lua_getfield(L, 1, "certificate_hosts");
  if (!lua_isnil(L, -1)) {
    luaL_argcheck(L, lua_istable(L, -1), 1, "certificate_hosts must be a list of strings");
    size_t n = lua_rawlen(L, -1);
    luaL_argcheck(L, n <= sizeof hosts / sizeof *hosts, 1, "at most 32 certificate_hosts");
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, -1, (int)i + 1);
      hosts[i] = lua_tostring(L, -1);
      luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, 1, "certificate_hosts must be strings");
      lua_pop(L, 1); /* kept alive by the list */
    }
    o.certificate_hosts = hosts;
    o.certificate_host_count = n;
  }
  referrals_webhook_verifier **v = lua_newuserdata(L, sizeof *v);
  *v = NULL;
  luaL_getmetatable(L, VERIFIER_MT);
  lua_setmetatable(L, -2);
  if (!(*v = referrals_webhook_verifier_new(&o))) return luaL_error(L, "not enough memory");
  return 1;
}

/* The value of the header named name (any case) in the table at idx, or NULL. */
static const char *header(lua_State *L, int idx, const char *name) {
  const char *found = NULL;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING &&
        strcasecmp(lua_tostring(L, -2), name) == 0)
      found = lua_tostring(L, -1); /* kept alive by the headers table */
    lua_pop(L, 1);
  }
  return found;
}

/* The event's body as a table, or a "json" refusal: a signed body can still be no object. */
static int push_event(lua_State *L, const referrals_webhook_request *r) {
  referrals_error err;
  if (referrals_push_json(L, r->body, r->body_len, &err) == REFERRALS_OK) {
    if (lua_istable(L, -1)) return 1;
    lua_pop(L, 1);
  }
  referrals_error_set(&err, REFERRALS_E_WEBHOOK, "json", NULL,
                      "the event's body is not a JSON object");
  return referrals_push_error(L, &err);
}

/* v:verify_signature{ body =, headers = } -> the decoded body | nil, err */
static int l_verify(lua_State *L) {
  referrals_webhook_verifier **v = check_verifier(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_getfield(L, 2, "body");
  luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, 2, "body must be a string");
  lua_getfield(L, 2, "headers");
  luaL_argcheck(L, lua_istable(L, -1), 2, "headers must be a table");
  int headers = lua_gettop(L);
  referrals_webhook_request r = {0};
  r.body = lua_tolstring(L, headers - 1, &r.body_len);
  r.signature = header(L, headers, "x-ms-signature");
  if (!r.signature) r.signature = header(L, headers, "authorization");
  r.certificate_url = header(L, headers, "x-ms-certificate-url");
  r.algorithm = header(L, headers, "x-ms-signature-algorithm");
  referrals_error err;
  if (referrals_webhook_verify(*v, &r, &err) != REFERRALS_OK) return referrals_push_error(L, &err);
  return push_event(L, &r);
}

/* v:fetch_count() -> number of certificate downloads so far */
static int l_fetch_count(lua_State *L) {
  lua_pushnumber(L, (lua_Number)referrals_webhook_fetch_count(*check_verifier(L)));
  return 1;
}

void referrals_webhook_open(lua_State *L, int module) {
  static const luaL_Reg methods[] = {
      {"verify_signature", l_verify}, {"fetch_count", l_fetch_count}, {NULL, NULL}};
  luaL_newmetatable(L, VERIFIER_MT);
  lua_pushcfunction(L, l_gc);
  lua_setfield(L, -2, "__gc");
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_verifier);
  lua_setfield(L, module, "webhook_verifier");
}
