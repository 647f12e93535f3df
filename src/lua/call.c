/*
 * call.c: one operation's way through the client's hooks: it holds the client, points the
 * core's token and log stages at this call (referrals_client_set_hooks), runs the user's
 * token and log functions under lua_pcall while the C pipeline runs, and lets the client go.
 * libcurl's callbacks are plain C, so no Lua error can longjmp across libcurl's frames.
 */
#include <stdio.h>
#include <stdlib.h>

#include "client_state.h"
#include "decode_sink.h"

/* ---- the token and the state of the client --------------------------------------------- */

static int closed_error(referrals_ctx *ctx) {
  return referrals_error_set(&ctx->err, REFERRALS_E_TRANSPORT, "closed", NULL,
                             "the client is closed");
}

/* expires_in: seconds as a number, or as a string (the v1 token endpoint sends "3600",
 * spec §4). -1 when absent or unreadable: the function is then asked again next time. */
static double expires_in(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TNUMBER) return (double)lua_tonumber(L, idx);
  if (lua_type(L, idx) != LUA_TSTRING) return -1;
  char *end;
  const char *s = lua_tostring(L, idx);
  double d = strtod(s, &end);
  return end != s && *end == '\0' ? d : -1;
}

/* Calls the token function under lua_pcall, with { force = true } after a 401 (spec §4);
 * the core's token stage decides when (it caches by *expires_in). Failures are category
 * "auth"; the messages never quote a token. */
static int refresh_token(lua_State *L, lclient *lc, int force, double *ttl, referrals_error *err) {
  if (!lc->token_fn) return REFERRALS_OK;
  get_uservalue(L, 1);
  lua_rawgeti(L, -1, TOKEN_FN);
  lua_remove(L, -2);
  if (force) {
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "force");
  }
  if (lua_pcall(L, force ? 1 : 0, 2, 0) != 0) {
    const char *msg = lua_tostring(L, -1);
    referrals_error_set(err, REFERRALS_E_AUTH, "token", NULL,
                        "the token function raised an error: %s", msg ? msg : luaL_typename(L, -1));
    lua_pop(L, 1);
    return REFERRALS_E_AUTH;
  }
  int rc = REFERRALS_OK;
  if (lua_type(L, -2) != LUA_TSTRING) {
    rc =
        referrals_error_set(err, REFERRALS_E_AUTH, "token", NULL,
                            "the token function returned a %s, not a string", luaL_typename(L, -2));
  } else {
    size_t len;
    const char *token = lua_tolstring(L, -2, &len);
    rc = referrals_client_set_token(lc->c, token, len, err); /* held: close() waits */
    *ttl = expires_in(L, -1);
  }
  lua_pop(L, 2);
  return rc;
}

/* ---- one operation's hooks (the pipeline of issue 4, referrals_client_set_hooks) ----------- */

typedef referrals_call call; /* the error of a log function is in the uservalue's LOG_ERROR */

/* Calls the log function: 1 = the function, 2 = the event (light userdata). */
static int call_log(lua_State *L) {
  const referrals_event *ev = lua_touserdata(L, 2);
  lua_pushvalue(L, 1);
  referrals_push_event(L, ev);
  lua_call(L, 1, 0);
  return 0;
}

/* A log function that raises is not called again during the call; its error is reported
 * once the operation is over (referrals_call_finish). */
static void run_log(lua_State *L, call *k, const referrals_event *ev) {
  lua_pushcfunction(L, call_log);
  get_uservalue(L, 1);
  lua_rawgeti(L, -1, LOG_FN);
  lua_remove(L, -2);
  lua_pushlightuserdata(L, (void *)ev);
  if (lua_pcall(L, 2, 0, 0) == 0) return;
  k->log_failed = 1;
  get_uservalue(L, 1);
  lua_insert(L, -2);
  lua_rawseti(L, -2, LOG_ERROR);
  lua_pop(L, 1);
}

/* What a hook of the pipeline asks of Lua. The hooks run inside the C core (pipeline.c),
 * so nothing they do may raise: a memory error while building { force = true } or storing
 * the log function's error would unwind through the core's frames and skip end(), leaving
 * the client held ("busy") for good. call_hook does the work under lua_pcall. */
typedef struct hook_job {
  call *k;
  const referrals_event *ev; /* the log hook's event; NULL for the token hook */
  int force;
  double *expires_in;
  referrals_error *err;
  int rc;
} hook_job;

/* 1 = the client, 2 = the job (light userdata). */
int referrals_lua_call_hook(lua_State *L) {
  hook_job *j = lua_touserdata(L, 2);
  lua_settop(L, 1);
  if (j->ev)
    run_log(L, j->k, j->ev);
  else
    j->rc = refresh_token(L, j->k->lc, j->force, j->expires_in, j->err);
  return 0;
}

/* Runs a job with call_hook (fetched, not pushed anew, so that nothing here allocates). */
static void run_hook(hook_job *j) {
  lua_State *L = j->k->L;
  get_uservalue(L, 1);
  lua_rawgeti(L, -1, HOOK_FN);
  lua_remove(L, -2);
  lua_pushvalue(L, 1);
  lua_pushlightuserdata(L, j);
  if (lua_pcall(L, 2, 0, 0) == 0) return;
  lua_pop(L, 1); /* only a memory error gets here */
  if (j->err) j->rc = referrals_error_out_of_memory(j->err);
}

static int token_hook(void *ud, referrals_client *c, int force, double *expires_in,
                      referrals_error *err) {
  (void)c; /* the client of the call's lclient */
  hook_job j = {.k = ud, .force = force, .expires_in = expires_in, .err = err};
  run_hook(&j);
  return j.rc;
}

static void log_hook(void *ud, const referrals_event *ev) {
  call *k = ud;
  if (k->log_failed) return;
  hook_job j = {.k = k, .ev = ev};
  run_hook(&j);
}

double referrals_call_deadline(lua_State *L, int idx) {
  const lclient *lc = check_client(L);
  if (lua_type(L, idx) != LUA_TTABLE) return lc->deadline;
  lua_getfield(L, idx, "deadline");
  double d = lc->deadline;
  if (!lua_isnil(L, -1)) {
    d = (double)lua_tonumber(L, -1);
    luaL_argcheck(L, lua_type(L, -1) == LUA_TNUMBER && d >= 0 && d <= 1e9, idx,
                  "opts.deadline: seconds from 0 to 1e9 expected");
  }
  lua_pop(L, 1);
  return d;
}

int referrals_call_begin(lua_State *L, referrals_ctx *ctx, double deadline, call *k,
                         referrals_client **out) {
  lclient *lc = check_client(L);
  k->L = L;
  k->lc = lc;
  *out = NULL;
  if (!lc->c) return closed_error(ctx);
  if (!referrals_client_hold(L, 1))
    return referrals_error_set(&ctx->err, REFERRALS_E_VALIDATION, "busy", NULL,
                               "the client is in use by another call (from one of its callbacks?)");
  k->held = 1;
  referrals_client_set_hooks(lc->c, lc->token_fn ? token_hook : NULL, lc->log_fn ? log_hook : NULL,
                             k);
  referrals_client_set_deadline(lc->c, deadline);
  *out = lc->c;
  return REFERRALS_OK;
}

void referrals_call_end(lua_State *L, call *k) {
  if (!k->held) return;
  k->held = 0;
  lclient *lc = k->lc;
  if (lc->c) {
    referrals_client_set_hooks(lc->c, NULL, NULL, NULL);
    referrals_client_set_reader(lc->c, NULL, NULL); /* operations.c's, if it set one */
  }
  referrals_client_hold(L, 0);
}

/* The log function's error, reported where the host sees it: warn on 5.4 (a host decides
 * where warnings go; "@on" turns them on in lua5.4), else stderr. */
static void report_log_error(lua_State *L, const char *msg) {
#if LUA_VERSION_NUM >= 504
  lua_warning(L, "referrals: the log function raised an error (ignored): ", 1);
  lua_warning(L, msg, 0);
#else
  (void)L;
  fprintf(stderr, "referrals: the log function raised an error (ignored): %s\n", msg);
#endif
}

int referrals_call_finish(lua_State *L, referrals_ctx *ctx, call *k, int rc) {
  if (k->log_failed) {
    k->log_failed = 0;
    get_uservalue(L, 1);
    lua_rawgeti(L, -1, LOG_ERROR);
    lua_pushnil(L);
    lua_rawseti(L, -3, LOG_ERROR);
    const char *msg = lua_tostring(L, -1);
    report_log_error(L, msg ? msg : luaL_typename(L, -1));
    lua_pop(L, 2);
  }
  return referrals_ctx_finish(L, ctx, rc);
}
