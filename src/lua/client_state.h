/*
 * client_state.h: the client userdata as the files behind referrals.Client see it (client.c,
 * call.c, operations.c, token_request.c, json_request.c). Not for the rest of the binding, which goes through
 * binding.h.
 */
#ifndef REFERRALS_LUA_CLIENT_STATE_H
#define REFERRALS_LUA_CLIENT_STATE_H

#include "binding.h"

#define CLIENT_MT "referrals.Client"

/* The uservalue of a client is a table: [TOKEN_FN] = the token function, [BASE_URL] = the
 * base URL (for __tostring). A table, because 5.1 and 5.2 take nothing else; and a
 * uservalue, not a registry ref, so a token function that captures its client is collected
 * with it. */
#define TOKEN_FN 1
#define BASE_URL 2
#define LOG_FN 3    /* opts.log */
#define LOG_ERROR 4 /* what the log function raised during the current call */
#define HOOK_FN 5   /* call_hook, made once: pushing a C function allocates on 5.1/LuaJIT */
#define EXTRA 6     /* opts.extra as a set of paths (extra.c), or nil */
#define USERVALUE_SLOTS 6

#if LUA_VERSION_NUM < 502
#define get_uservalue(L, i) lua_getfenv((L), (i))
#define set_uservalue(L, i) lua_setfenv((L), (i))
#else
#define get_uservalue(L, i) lua_getuservalue((L), (i))
#define set_uservalue(L, i) lua_setuservalue((L), (i))
#endif

typedef struct lclient {
  referrals_client *c; /* NULL once closed */
  int token_fn;        /* the token is a function's */
  int held;            /* an operation or a bulk run is using the client */
  int close_pending;   /* close() was called during that run: the run's end closes */
  int log_fn;          /* opts.log is set */
  double deadline;     /* opts.deadline: every call's, unless the call gives its own; 0 none */
} lclient;

/* Once per operation, whose helpers take its result: luaL_checkudata looks the metatable up
 * in the registry by name each time. */
static inline lclient *check_client(lua_State *L) { return luaL_checkudata(L, 1, CLIENT_MT); }

/* call.c: the C function that runs a hook's body under lua_pcall (made once per client, in
 * the uservalue's HOOK_FN: pushing a C function allocates on 5.1/LuaJIT). */
int referrals_lua_call_hook(lua_State *L);
/* client.c: raises for a refused option ("option 'base_url': ..."), as for a wrong type. */
void referrals_raise_client_error(lua_State *L, const referrals_error *err);
/* client.c: marks the client at 1 as used by an operation or a run, so that close() waits
 * for its end; returns 0 when it is held already. Unhold: closes it if close() came meanwhile. */
int referrals_client_hold(lua_State *L, int hold);
/* operations.c: create, get, list, update (each with the context as upvalue 1). */
extern const luaL_Reg referrals_client_operations[];
/* token_request.c: the token request primitive referrals.auth takes for itself. */
int referrals_l_token_request(lua_State *L);
/* json_request.c: a request of another Partner Center JSON API, for referrals.webhooks. */
int referrals_l_json_request(lua_State *L);

#endif
