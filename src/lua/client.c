/*
 * client.c: referrals.new and the client userdata (issue 3). The userdata owns the C
 * client (include/referrals_client.h: the curl handle, headers, buffers), so a Lua error
 * raised anywhere cannot leak it: __gc frees it, and so do __close (5.4) and client:close().
 *
 * Each operation converts its arguments into C first (into the call's context: arena and
 * buffers owned by a userdata), then runs the C operation, which calls no Lua function, and
 * only then pushes the answer. libcurl's callbacks are plain C, so no Lua error can longjmp
 * across libcurl's frames. The token function is the only Lua code a call runs, and it runs
 * under lua_pcall before the transfer starts.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
#define USERVALUE_SLOTS 5

static int call_hook(lua_State *L);
static int referrals_client_hold(lua_State *L, int hold);
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
static lclient *check_client(lua_State *L) { return luaL_checkudata(L, 1, CLIENT_MT); }

/* ---- referrals.new(opts) ------------------------------------------------------------------- */

/* A refused option value raises like a wrong type: "option 'base_url': expected ...". The
 * C messages start with "<field>: ". */
static void raise_client_error(lua_State *L, const referrals_error *err) {
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
  lua_pushcfunction(L, call_hook);
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
  lc->deadline = (double)lua_tonumber(L, -1); /* checked by referrals_lua_client_options; nil: 0 */
  lua_pop(L, 1);
  lua_pushstring(L, o.base_url ? o.base_url : REFERRALS_DEFAULT_BASE_URL);
  lua_rawseti(L, -2, BASE_URL);
  set_uservalue(L, 3);

  referrals_error err;
  referrals_error_clear(&err);
  lc->c = referrals_client_new(&o, &err); /* owned by the userdata from here on */
  if (!lc->c) raise_client_error(L, &err);
  lc->token_fn = token_type == LUA_TFUNCTION;
  if (token_type == LUA_TSTRING) {
    size_t len;
    const char *token = lua_tolstring(L, 2, &len);
    if (referrals_client_set_token(lc->c, token, len, &err) != REFERRALS_OK)
      raise_client_error(L, &err);
  }
  return 1;
}

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
static int call_hook(lua_State *L) {
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
  hook_job j = {ud, NULL, force, expires_in, err, REFERRALS_OK};
  run_hook(&j);
  return j.rc;
}

static void log_hook(void *ud, const referrals_event *ev) {
  call *k = ud;
  if (k->log_failed) return;
  hook_job j = {k, ev, 0, NULL, NULL, REFERRALS_OK};
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
  if (lc->c) referrals_client_set_hooks(lc->c, NULL, NULL, NULL);
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

/* A referral, or true for a 2xx without a body (a bare 204, spec §1.5). */
static void push_referral(lua_State *L, referrals_ctx *ctx, const referrals_referral *r) {
  if (r)
    referrals_push_struct(L, ctx, &referrals_type_referral, r);
  else
    lua_pushboolean(L, 1);
}

/* ---- operations -------------------------------------------------------------------------- */

/* opts at idx: nil or a table ({ deadline = seconds }, and update's etag). */
static void check_opts(lua_State *L, int idx) {
  if (!lua_isnoneornil(L, idx)) luaL_checktype(L, idx, LUA_TTABLE);
}

/* client:create(ref [, opts]) -> referral | nil, err. Validated and encoded first, with the
 * same code as referrals.encode_valid: an invalid table sends nothing. */
static int l_create(lua_State *L) {
  check_client(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  check_opts(L, 3);
  double deadline = referrals_call_deadline(L, 3);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  referrals_client *c = NULL;
  referrals_referral *r = NULL;
  call k = {L, NULL, 0, 0};
  int rc = referrals_encode_table(L, ctx, 2, REFERRALS_MODE_CREATE);
  if (rc == REFERRALS_OK) rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  if (rc == REFERRALS_OK)
    rc = referrals_create(c, ctx->out.data, ctx->out.len, ctx->arena, &r, &ctx->err);
  referrals_call_end(L, &k);
  if (rc == REFERRALS_OK) push_referral(L, ctx, r);
  return referrals_call_finish(L, ctx, &k, rc);
}

/* client:get(id [, opts]) -> referral | nil, err */
static int l_get(lua_State *L) {
  check_client(L);
  size_t len;
  const char *id = luaL_checklstring(L, 2, &len);
  check_opts(L, 3);
  double deadline = referrals_call_deadline(L, 3);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  referrals_client *c = NULL;
  referrals_referral *r = NULL;
  call k = {L, NULL, 0, 0};
  int rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  if (rc == REFERRALS_OK) rc = referrals_get(c, id, len, ctx->arena, &r, &ctx->err);
  referrals_call_end(L, &k);
  if (rc == REFERRALS_OK) push_referral(L, ctx, r);
  return referrals_call_finish(L, ctx, &k, rc);
}

/* { value = { referral... }, next = url_or_nil, count = n_or_nil } */
static void push_page(lua_State *L, referrals_ctx *ctx, const referrals_page *p) {
  lua_createtable(L, 0, 3);
  uint32_t n = p->value.state == REFERRALS_SET ? p->value.len : 0;
  lua_createtable(L, (int)n, 0);
  for (uint32_t i = 0; i < n; i++) {
    const referrals_value *item = &p->value.as.items[i];
    if (item->state == REFERRALS_SET)
      referrals_push_struct(L, ctx, &referrals_type_referral, item->as.object);
    else
      lua_pushlightuserdata(L, NULL); /* a null item: referrals.null, as decode gives */
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "value");
  if (p->next_link.state == REFERRALS_SET) {
    lua_pushlstring(L, p->next_link.as.string, p->next_link.len);
    lua_setfield(L, -2, "next");
  }
  if (p->count.state == REFERRALS_SET) {
#if REFERRALS_HAS_INTEGERS
    if (p->count.is_integer)
      lua_pushinteger(L, (lua_Integer)p->count.as.integer);
    else
#endif
      lua_pushnumber(L, p->count.is_integer ? (lua_Number)p->count.as.integer
                                            : (lua_Number)p->count.as.number);
    lua_setfield(L, -2, "count");
  }
}

/* client:list([query | next_link]) -> page | nil, err. A string is the next link of an
 * earlier page (referrals_list_next says which links are followed, spec §1.2). */
static int l_list(lua_State *L) {
  check_client(L);
  int t = lua_type(L, 2);
  luaL_argcheck(L, t == LUA_TNONE || t == LUA_TNIL || t == LUA_TTABLE || t == LUA_TSTRING, 2,
                "query table or next link expected");
  check_opts(L, 3);
  double deadline = referrals_call_deadline(L, 3);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  referrals_client *c = NULL;
  referrals_page *page = NULL;
  referrals_query q;
  memset(&q, 0, sizeof q);
  call k = {L, NULL, 0, 0};
  int rc = t == LUA_TTABLE ? referrals_lua_query(L, ctx, 2, &q) : REFERRALS_OK;
  if (rc == REFERRALS_OK) rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  if (rc == REFERRALS_OK && t == LUA_TSTRING) {
    size_t len;
    const char *link = lua_tolstring(L, 2, &len);
    rc = referrals_list_next(c, link, len, ctx->arena, &page, &ctx->err);
  } else if (rc == REFERRALS_OK) {
    rc = referrals_list(c, &q, ctx->arena, &page, &ctx->err);
  }
  referrals_call_end(L, &k);
  if (rc == REFERRALS_OK) push_page(L, ctx, page);
  return referrals_call_finish(L, ctx, &k, rc);
}

/* A string member of the table at idx, pushed (so it stays alive while the call runs), or
 * nil; not a string: nil too. */
static void push_string_member(lua_State *L, int idx, const char *key) {
  lua_pushstring(L, key);
  lua_rawget(L, idx);
  if (lua_type(L, -1) != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
}

/* client:update(id_or_ref, changes [, opts]) -> referral | true (bare 204) | nil, err.
 * If-Match is opts.etag, else the eTag of a referral table, sent verbatim (spec §1.1). */
static int l_update(lua_State *L) {
  check_client(L);
  int t = lua_type(L, 2);
  luaL_argcheck(L, t == LUA_TSTRING || t == LUA_TTABLE, 2, "id or referral expected");
  luaL_checktype(L, 3, LUA_TTABLE);
  if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
  lua_settop(L, 4);
  if (t == LUA_TTABLE)
    push_string_member(L, 2, "id"); /* 5 */
  else
    lua_pushvalue(L, 2);
  if (lua_istable(L, 4)) {
    lua_pushliteral(L, "etag");
    lua_rawget(L, 4); /* 6 */
    luaL_argcheck(L, lua_isnil(L, 6) || lua_type(L, 6) == LUA_TSTRING, 4,
                  "opts.etag: string expected");
  } else {
    lua_pushnil(L);
  }
  if (lua_isnil(L, 6) && t == LUA_TTABLE) {
    lua_pop(L, 1);
    push_string_member(L, 2, "eTag");
  }
  size_t id_len = 0, etag_len = 0;
  const char *id = lua_tolstring(L, 5, &id_len);
  const char *etag = lua_tolstring(L, 6, &etag_len);
  double deadline = referrals_call_deadline(L, 4);

  referrals_ctx *ctx = referrals_ctx_acquire(L);
  referrals_client *c = NULL;
  referrals_referral *r = NULL;
  call k = {L, NULL, 0, 0};
  int rc = id ? REFERRALS_OK
              : referrals_error_set(&ctx->err, REFERRALS_E_VALIDATION, "id", "id",
                                    "id: the referral table has no string id");
  if (rc == REFERRALS_OK) rc = referrals_lua_patch(L, ctx, 3);
  if (rc == REFERRALS_OK) rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  if (rc == REFERRALS_OK)
    rc = referrals_update(c, id, id_len, ctx->out.data, ctx->out.len, etag, etag_len, ctx->arena,
                          &r, &ctx->err);
  /* A service that ignores Prefer: return=representation answers 204: read the referral, so
   * that update always returns one kind of value, the referral as it now is. */
  if (rc == REFERRALS_OK && !r) rc = referrals_get(c, id, id_len, ctx->arena, &r, &ctx->err);
  referrals_call_end(L, &k);
  if (rc == REFERRALS_OK) push_referral(L, ctx, r);
  return referrals_call_finish(L, ctx, &k, rc);
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

/* core.post_form(opts, path, form) -> status, answer | nil, err: the token
 * request of lua/referrals/auth.lua (spec §4), over the module's own libcurl layer. opts are
 * referrals.new's (base_url = the authority, TLS, timeouts, retries), without a token; the
 * answer is its JSON body as a Lua value (a body that is not JSON: nil, err). The
 * form may hold a secret: it never appears in an error, and its buffer is libcurl's only
 * while the call runs. */
static int l_post_form(lua_State *L) {
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
  if (!lc->c) raise_client_error(L, &err);
  int rc = referrals_client_post_form(lc->c, path, form, len, &err);
  const referrals_response *r = referrals_client_response(lc->c);
  lua_pushinteger(L, (lua_Integer)r->status);
  if (rc == REFERRALS_OK) rc = referrals_push_json(L, r->body, r->body_len, &err);
  if (rc != REFERRALS_OK) err.status = r->status;
  referrals_client_free(lc->c);
  lc->c = NULL;
  return rc == REFERRALS_OK ? 2 : referrals_push_error(L, &err);
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
static int referrals_client_hold(lua_State *L, int hold) {
  lclient *lc = check_client(L);
  if (hold && lc->held) return 0;
  lc->held = hold;
  if (!hold && lc->close_pending) {
    l_close(L);
    lua_pop(L, 1); /* its true */
  }
  return 1;
}

static const luaL_Reg methods[] = {{"create", l_create},
                                   {"get", l_get},
                                   {"list", l_list},
                                   {"create_many", referrals_l_create_many},
                                   {"get_many", referrals_l_get_many},
                                   {"update", l_update},
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
  lua_pushcfunction(L, l_post_form);
  lua_setfield(L, module, "post_form");
}
