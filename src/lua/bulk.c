/*
 * bulk.c: client:create_many(list [, opts]) and client:get_many(ids [, opts]) (issue 5),
 * over referrals_bulk_run (bulk.c).
 *
 * Memory: every request body (or id) is copied into the call's context buffer before the
 * first transfer, the item array is a userdata, the easy handles and connections belong to
 * the C client (the client userdata), and each answer is decoded into its slot's arena. So a
 * Lua error at any point leaks nothing, and a progress function that edits the list cannot
 * pull a string from under a transfer.
 *
 * Lua runs only between curl_multi_perform rounds (the done callback of bulk.c), always under
 * lua_pcall: storing a result and calling opts.progress. A progress function that raises
 * stops the run: nothing more is started, the transfers in flight are abandoned, and the call
 * returns nil, err (code "aborted").
 */
#include <string.h>

#include "binding.h"

/* The stack slots of a call, after argument checks. */
enum { A_CLIENT = 1, A_LIST, A_OPTS, A_PROGRESS, A_ITEMS, A_RESULTS, A_STORE };

typedef struct many {
  lua_State *L;
  referrals_ctx *ctx;
  size_t done, total;
  int has_progress;
} many;

/* What A_STORE (store_result) pushes: one finished item. */
typedef struct result {
  referrals_ctx *ctx;
  int rc;
  const referrals_referral *r;
  const referrals_error *err;
} result;

static int store_result(lua_State *L) {
  const result *res = lua_touserdata(L, 1);
  if (res->rc != REFERRALS_OK) {
    referrals_push_error(L, res->err); /* nil, err */
  } else if (res->r) {
    referrals_push_struct(L, res->ctx, &referrals_type_referral, res->r);
  } else {
    lua_pushboolean(L, 1); /* a bare 2xx, as client:create gives it */
  }
  return 1;
}

static int aborted(many *m, const char *what) {
  lua_State *L = m->L;
  const char *msg = lua_tostring(L, -1);
  referrals_error_set(&m->ctx->err, REFERRALS_E_TRANSPORT, "aborted", NULL,
                      "the run stopped: %s raised an error: %s", what,
                      msg ? msg : luaL_typename(L, -1));
  lua_pop(L, 1);
  return REFERRALS_E_TRANSPORT;
}

/* bulk.c's done callback: results[index + 1] = the result, then progress(done, total). */
static int on_done(void *ud, size_t index, int rc, const referrals_referral *r,
                   const referrals_error *err) {
  many *m = ud;
  lua_State *L = m->L;
  result res = {m->ctx, rc, r, err};
  lua_pushvalue(L, A_STORE);
  lua_pushlightuserdata(L, &res);
  if (lua_pcall(L, 1, 1, 0) != 0) return aborted(m, "storing a result");
  lua_rawseti(L, A_RESULTS, (int)index + 1);
  m->done++;
  if (!m->has_progress) return 0;
  lua_pushvalue(L, A_PROGRESS);
  lua_pushinteger(L, (lua_Integer)m->done);
  lua_pushinteger(L, (lua_Integer)m->total);
  return lua_pcall(L, 2, 0, 0) != 0 ? aborted(m, "the progress function") : 0;
}

/* Reads opts (A_OPTS, raw: no metamethod runs) into o, and pushes the progress function or
 * nil (A_PROGRESS). Wrong types and unknown names raise, as referrals.new does. */
static void read_options(lua_State *L, referrals_bulk_options *o) {
  referrals_bulk_options_init(o);
  lua_pushnil(L); /* A_PROGRESS */
  if (lua_isnil(L, A_OPTS)) return;
  lua_pushnil(L);
  while (lua_next(L, A_OPTS)) {
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    if (strcmp(key, "concurrency") == 0) {
      lua_Number v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
      luaL_argcheck(L, v >= 1 && v <= 256 && v == (lua_Number)(unsigned)v, 3,
                    "opts.concurrency: an integer from 1 to 256 expected");
      o->concurrency = (unsigned)v;
    } else if (strcmp(key, "http_version") == 0) {
      const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
      luaL_argcheck(L, strcmp(v, "1.1") == 0 || strcmp(v, "2") == 0, 3,
                    "opts.http_version: \"1.1\" or \"2\" expected");
      o->http_version = v[0] == '2' ? REFERRALS_HTTP_2 : REFERRALS_HTTP_1_1;
    } else if (strcmp(key, "deadline") == 0) {
      lua_Number v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : -1;
      luaL_argcheck(L, v >= 0 && v <= 1e9, 3, "opts.deadline: seconds from 0 to 1e9 expected");
    } else if (strcmp(key, "extra") == 0) { /* read by referrals_client_extra */
    } else if (strcmp(key, "progress") == 0) {
      luaL_argcheck(L, lua_type(L, -1) == LUA_TFUNCTION, 3, "opts.progress: function expected");
      lua_pushvalue(L, -1);
      lua_replace(L, A_PROGRESS);
    } else {
      luaL_argerror(L, 3, lua_pushfstring(L, "unknown option '%s'", key));
    }
    lua_pop(L, 1);
  }
}

/* Item i of the list (on top of the stack) -> its request data, appended to ctx->out. Returns
 * REFERRALS_OK, or a validation error: the item is then not sent. */
static int prepare_item(lua_State *L, referrals_ctx *ctx, referrals_bulk_op op, size_t i) {
  size_t start = ctx->out.len;
  int rc;
  if (op == REFERRALS_BULK_CREATE) {
    rc = lua_istable(L, -1) ? referrals_encode_table(L, ctx, lua_gettop(L), REFERRALS_MODE_CREATE)
                            : referrals_error_set(&ctx->err, REFERRALS_E_VALIDATION, "type", NULL,
                                                  "item %zu: a referral table expected, got %s", i,
                                                  luaL_typename(L, -1));
  } else if (lua_type(L, -1) == LUA_TSTRING) {
    size_t len;
    const char *id = lua_tolstring(L, -1, &len);
    referrals_buffer_append(&ctx->out, id, len);
    rc = ctx->out.failed ? referrals_error_out_of_memory(&ctx->err) : REFERRALS_OK;
  } else {
    rc = referrals_error_set(&ctx->err, REFERRALS_E_VALIDATION, "id", "id",
                             "item %zu: an id string expected, got %s", i, luaL_typename(L, -1));
  }
  if (rc != REFERRALS_OK) ctx->out.len = start;
  return rc;
}

/* Converts every item; the invalid ones get their error in results at once. Then points the
 * items at their text in ctx->out (which no longer moves). Returns the number refused. */
static size_t prepare(lua_State *L, referrals_ctx *ctx, referrals_bulk_op op,
                      referrals_bulk_item *items, size_t n) {
  size_t refused = 0;
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, A_LIST, (int)i + 1);
    referrals_error_clear(&ctx->err);
    size_t start = ctx->out.len;
    if (prepare_item(L, ctx, op, i + 1) == REFERRALS_OK) {
      items[i].data = ""; /* sent; the real pointer is set below */
      items[i].len = ctx->out.len - start;
    } else {
      items[i].data = NULL;
      refused++;
      referrals_push_ctx_error(L, ctx); /* with err.errors, every problem of this item */
      lua_rawseti(L, A_RESULTS, (int)i + 1);
      lua_pop(L, 1); /* the nil */
    }
    /* The converted struct is written out, and its problems pushed: neither is needed. */
    referrals_ctx_forget(ctx);
    lua_pop(L, 1);
  }
  const char *p = ctx->out.data;
  for (size_t i = 0; i < n; i++) {
    if (!items[i].data) continue;
    items[i].data = p;
    p += items[i].len;
  }
  referrals_error_clear(&ctx->err);
  return refused;
}

/* client:create_many(list [, opts]) / client:get_many(ids [, opts]) -> results | nil, err */
static int many_call(lua_State *L, referrals_bulk_op op) {
  luaL_checktype(L, A_LIST, LUA_TTABLE);
  if (!lua_isnoneornil(L, A_OPTS)) luaL_checktype(L, A_OPTS, LUA_TTABLE);
  lua_settop(L, A_OPTS);
  referrals_bulk_options o;
  read_options(L, &o); /* A_PROGRESS */
  size_t n = lua_rawlen(L, A_LIST);
  referrals_bulk_item *items = lua_newuserdata(L, (n ? n : 1) * sizeof *items); /* A_ITEMS */
  lua_createtable(L, n > 0x7fffffff ? 0 : (int)n, 0);                           /* A_RESULTS */
  lua_pushcfunction(L, store_result);                                           /* A_STORE */
  int extra = referrals_client_extra(L, A_OPTS, A_OPTS);
  referrals_ctx *ctx = referrals_ctx_acquire(L); /* may push a fresh context: above the rest */
  ctx->extra = extra;
  many m = {L, ctx, 0, n, !lua_isnil(L, A_PROGRESS)};
  m.done = prepare(L, ctx, op, items, n);
  double deadline = referrals_call_deadline(L, A_OPTS); /* each item's */
  referrals_client *c = NULL;
  referrals_call k = {.L = L};
  /* Held while the core runs, whose callbacks (token, log, done) are all under lua_pcall:
   * anything that may raise (a memory error) happens before or after, so it cannot leave
   * the client held. */
  int rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  if (rc == REFERRALS_OK) {
    o.done = on_done;
    o.ud = &m;
    rc = referrals_bulk_run(c, op, items, n, &o, &ctx->err);
  }
  referrals_call_end(L, &k);
  if (rc == REFERRALS_OK) lua_pushvalue(L, A_RESULTS);
  return referrals_call_finish(L, ctx, &k, rc);
}

int referrals_l_create_many(lua_State *L) { return many_call(L, REFERRALS_BULK_CREATE); }
int referrals_l_get_many(lua_State *L) { return many_call(L, REFERRALS_BULK_GET); }
