/*
 * client_options.c: the options table of referrals.new(opts) (issue 3, issue 4) read into
 * referrals_client_options. Wrong types, values out of range and unknown keys raise, naming
 * the option, as lauxlib's luaL_argerror does for arguments; strings are not copied (they
 * stay referenced by the options table for the duration of referrals.new).
 */
#include <string.h>

#include "binding.h"

static const char *const option_names[] = {"token",
                                           "base_url",
                                           "timeout",
                                           "connect_timeout",
                                           "http_version",
                                           "ca_file",
                                           "ca_path",
                                           "verify",
                                           "proxy",
                                           "user_agent",
                                           "correlation_id",
                                           "retries",
                                           "retry_delay",
                                           "max_retry_delay",
                                           "max_response",
                                           "deadline",
                                           "log",
                                           "extra",
                                           "low_speed_limit",
                                           "low_speed_time",
                                           NULL};
enum {
  OPT_TOKEN,
  OPT_BASE_URL,
  OPT_TIMEOUT,
  OPT_CONNECT_TIMEOUT,
  OPT_HTTP_VERSION,
  OPT_CA_FILE,
  OPT_CA_PATH,
  OPT_VERIFY,
  OPT_PROXY,
  OPT_USER_AGENT,
  OPT_CORRELATION_ID,
  OPT_RETRIES,
  OPT_RETRY_DELAY,
  OPT_MAX_RETRY_DELAY,
  OPT_MAX_RESPONSE,
  OPT_DEADLINE,
  OPT_LOG,
  OPT_EXTRA,
  OPT_LOW_SPEED_LIMIT,
  OPT_LOW_SPEED_TIME
};

/* Raises "bad argument #1 to 'new' (option 'timeout': number expected, got string)". */
int referrals_lua_option_error(lua_State *L, const char *name, const char *expected) {
  const char *got = luaL_typename(L, -1);
  return luaL_argerror(L, 1,
                       lua_pushfstring(L, "option '%s': %s expected, got %s", name, expected, got));
}

/* The option value on top of the stack; strings stay referenced by the options table. */
static const char *option_string(lua_State *L, const char *name) {
  if (lua_type(L, -1) != LUA_TSTRING) referrals_lua_option_error(L, name, "string");
  size_t len;
  const char *s = lua_tolstring(L, -1, &len);
  /* C sees a string up to its first NUL: "x\0\r\nX-Injected: 1" would be sent as "x"
   * (issue 13). The core refuses the other control bytes. */
  if (strlen(s) != len) referrals_lua_option_error(L, name, "string without NUL bytes");
  return s;
}

static double option_seconds(lua_State *L, const char *name) {
  if (lua_type(L, -1) != LUA_TNUMBER) referrals_lua_option_error(L, name, "number");
  double s = (double)lua_tonumber(L, -1);
  if (!(s >= 0 && s <= 1e9)) referrals_lua_option_error(L, name, "seconds from 0 to 1e9");
  return s;
}

/* A whole number from lo to hi. */
static double option_count(lua_State *L, const char *name, double lo, double hi, const char *what) {
  if (lua_type(L, -1) != LUA_TNUMBER) referrals_lua_option_error(L, name, "number");
  double n = (double)lua_tonumber(L, -1);
  if (!(n >= lo && n <= hi) || n != (double)(long long)n) referrals_lua_option_error(L, name, what);
  return n;
}

static void read_option(lua_State *L, int which, referrals_client_options *o) {
  const char *name = option_names[which];
  switch (which) {
    case OPT_TOKEN:
      if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TFUNCTION)
        referrals_lua_option_error(L, name, "string or function");
      break;
    case OPT_LOG:
      if (lua_type(L, -1) != LUA_TFUNCTION) referrals_lua_option_error(L, name, "function");
      break;
    case OPT_DEADLINE: option_seconds(L, name); break; /* kept by l_new */
    case OPT_EXTRA:                                    /* its strings checked by l_new */
      if (lua_type(L, -1) != LUA_TTABLE) referrals_lua_option_error(L, name, "list of field paths");
      break;
    case OPT_RETRIES: o->retry.retries = (int)option_count(L, name, 0, 100, "0 to 100"); break;
    case OPT_RETRY_DELAY: o->retry.retry_delay = option_seconds(L, name); break;
    case OPT_MAX_RETRY_DELAY: o->retry.max_retry_delay = option_seconds(L, name); break;
    case OPT_MAX_RESPONSE:
      o->max_response = (size_t)option_count(L, name, 1, 1 << 30, "bytes from 1 to 2^30");
      break;
    case OPT_LOW_SPEED_LIMIT:
      o->low_speed_limit = (long)option_count(L, name, 0, 1e9, "bytes per second from 0 to 1e9");
      break;
    case OPT_LOW_SPEED_TIME: o->low_speed_time = option_seconds(L, name); break;
    case OPT_BASE_URL: o->base_url = option_string(L, name); break;
    case OPT_TIMEOUT: o->timeout = option_seconds(L, name); break;
    case OPT_CONNECT_TIMEOUT: o->connect_timeout = option_seconds(L, name); break;
    case OPT_HTTP_VERSION: {
      const char *v = option_string(L, name);
      if (strcmp(v, "1.1") != 0 && strcmp(v, "2") != 0)
        referrals_lua_option_error(L, name, "\"1.1\" or \"2\"");
      o->http_version = v[0] == '2' ? REFERRALS_HTTP_2 : REFERRALS_HTTP_1_1;
      break;
    }
    case OPT_CA_FILE: o->ca_file = option_string(L, name); break;
    case OPT_CA_PATH: o->ca_path = option_string(L, name); break;
    case OPT_VERIFY:
      if (lua_type(L, -1) != LUA_TBOOLEAN) referrals_lua_option_error(L, name, "boolean");
      o->verify = lua_toboolean(L, -1);
      break;
    case OPT_PROXY: o->proxy = option_string(L, name); break;
    case OPT_USER_AGENT: o->user_agent = option_string(L, name); break;
    default: o->correlation_id = option_string(L, name); break;
  }
}

/* Reads the options table at 1 raw (no metamethod runs); an unknown key is a typo. */
void referrals_lua_client_options(lua_State *L, referrals_client_options *o) {
  referrals_client_options_init(o);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    int which = -1;
    if (lua_type(L, -2) == LUA_TSTRING) {
      const char *key = lua_tostring(L, -2);
      for (int i = 0; option_names[i]; i++)
        if (strcmp(key, option_names[i]) == 0) which = i;
    }
    if (which >= 0)
      read_option(L, which, o);
    else if (lua_type(L, -2) == LUA_TSTRING)
      luaL_argerror(L, 1, lua_pushfstring(L, "unknown option '%s'", lua_tostring(L, -2)));
    else
      luaL_argerror(L, 1,
                    lua_pushfstring(L, "option names are strings, got a %s", luaL_typename(L, -2)));
    lua_pop(L, 1);
  }
}
