/*
 * bulk.c: client:create_many(list [, opts]) and client:get_many(ids [, opts]) (issue 5), and
 * client:list_many(queries [, opts]) and client:update_many(updates [, opts]) (issue 16:
 * client:sync's look-ups and updates at once), over
 * referrals_bulk_stream (src/core/bulk.c), which pulls each item when a slot is free.
 *
 * The input is a table or an iterator (issue 16). A table's request bodies (or ids) are all
 * converted into the call's context buffer before the first transfer, so a progress function
 * that edits the list cannot change what is sent; an iterator is called for the next item
 * only when a slot is free, and that item is converted then (the core copies its bytes into
 * the slot). The results go into one table, or, with opts.on_result, each to that function as
 * it is final and none is kept. So with an iterator and on_result a run of any length holds
 * `concurrency` items at a time.
 *
 * Memory: the easy handles and connections belong to the C client (the client userdata), each
 * answer is decoded into its slot's arena, and the rest is on the Lua stack. Lua runs only
 * between curl_multi_perform rounds (the core's next and done callbacks), always under
 * lua_pcall: the iterator, storing a result, on_result, progress. When one of them raises,
 * the run stops: nothing more is pulled or started, the transfers in flight are taken off the
 * multi handle (the core does it), and the call returns nil, err (code "aborted";
 * err.in_flight lists the items whose result was never reported). Nothing leaks.
 */
#include <stdlib.h>
#include <string.h>

#include "binding.h"

#define MAX_CONCURRENCY 256

/* The stack slots of a call, after argument checks. A_LIST is the table or the iterator;
 * A_RESULTS the results table (with on_result: only the refused items of a table). */
enum {
  A_CLIENT = 1,
  A_LIST,
  A_OPTS,
  A_PROGRESS,
  A_ON_RESULT,
  A_STATE, /* the many below */
  A_ITEMS, /* a table's items (referrals_bulk_item[]), or nil */
  A_RESULTS,
  A_STORE
};

typedef struct many {
  lua_State *L;
  referrals_ctx *ctx;
  referrals_bulk_op op;
  const referrals_bulk_item *items;  /* a table's items, converted; NULL: an iterator */
  size_t n;                          /* a table's length */
  size_t done;                       /* for progress: items final, the refused ones of a table
                                        from the start */
  size_t ok, failed, in_doubt;       /* with on_result: the summary */
  size_t in_flight[MAX_CONCURRENCY]; /* items handed to the core and not final yet */
  unsigned nflight;
  int has_progress, has_on_result;
} many;

/* What A_STORE (store_result) pushes: one finished item. */
typedef struct result {
  referrals_ctx *ctx;
  referrals_bulk_op op;
  int rc;
  const void *r; /* a referral, or a page (LIST) */
  const referrals_error *err;
} result;

static int store_result(lua_State *L) {
  const result *res = lua_touserdata(L, 1);
  if (res->rc != REFERRALS_OK) {
    referrals_push_error(L, res->err); /* nil, err */
  } else if (res->r && res->op == REFERRALS_BULK_LIST) {
    referrals_push_page(L, res->ctx, res->r);
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

/* The result of item index (0-based) on top of the stack, final: into results, or to
 * on_result(index + 1, ref, nil) / on_result(index + 1, nil, err). Pops it. */
static int hand_over(many *m, size_t index, int ok) {
  lua_State *L = m->L;
  if (!m->has_on_result) {
    lua_rawseti(L, A_RESULTS, (lua_Integer)index + 1);
    return 0;
  }
  lua_pushvalue(L, A_ON_RESULT);
  lua_insert(L, -2);
  lua_pushinteger(L, (lua_Integer)index + 1);
  lua_insert(L, -2);
  if (!ok) {
    lua_pushnil(L);
    lua_insert(L, -2);
  }
  return lua_pcall(L, ok ? 2 : 3, 0, 0) != 0 ? aborted(m, "on_result") : 0;
}

/* The item is final: off the in-flight list. */
static void landed(many *m, size_t index) {
  for (unsigned i = 0; i < m->nflight; i++) {
    if (m->in_flight[i] != index) continue;
    m->in_flight[i] = m->in_flight[--m->nflight];
    return;
  }
}

/* The core's done callback: the result handed over, then progress(done, total). */
static int on_done(void *ud, size_t index, int rc, const void *r, const referrals_error *err) {
  many *m = ud;
  lua_State *L = m->L;
  landed(m, index);
  if (rc == REFERRALS_OK) m->ok++;
  if (rc != REFERRALS_OK) m->failed++;
  if (rc != REFERRALS_OK && err->in_doubt) m->in_doubt++;
  result res = {m->ctx, m->op, rc, r, err};
  lua_pushvalue(L, A_STORE);
  lua_pushlightuserdata(L, &res);
  if (lua_pcall(L, 1, 1, 0) != 0) return aborted(m, "storing a result");
  int stop = hand_over(m, index, rc == REFERRALS_OK);
  if (stop) return stop;
  m->done++;
  if (!m->has_progress) return 0;
  lua_pushvalue(L, A_PROGRESS);
  lua_pushinteger(L, (lua_Integer)m->done);
  if (m->items)
    lua_pushinteger(L, (lua_Integer)m->n);
  else
    lua_pushnil(L); /* an iterator's length is not known */
  return lua_pcall(L, 2, 0, 0) != 0 ? aborted(m, "the progress function") : 0;
}

/* Reads opts (A_OPTS, raw: no metamethod runs) into o, and pushes the progress and on_result
 * functions or nils (A_PROGRESS, A_ON_RESULT). Wrong types and unknown names raise, as
 * referrals.new does. */
static void read_options(lua_State *L, referrals_bulk_options *o) {
  referrals_bulk_options_init(o);
  lua_pushnil(L); /* A_PROGRESS */
  lua_pushnil(L); /* A_ON_RESULT */
  if (lua_isnil(L, A_OPTS)) return;
  lua_pushnil(L);
  while (lua_next(L, A_OPTS)) {
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    if (strcmp(key, "concurrency") == 0) {
      lua_Number v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
      luaL_argcheck(L, v >= 1 && v <= MAX_CONCURRENCY && v == (lua_Number)(unsigned)v, 3,
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
    } else if (strcmp(key, "progress") == 0 || strcmp(key, "on_result") == 0) {
      luaL_argcheck(L, lua_type(L, -1) == LUA_TFUNCTION, 3,
                    lua_pushfstring(L, "opts.%s: function expected", key));
      lua_pushvalue(L, -1);
      lua_replace(L, key[0] == 'p' ? A_PROGRESS : A_ON_RESULT);
    } else {
      luaL_argerror(L, 3, lua_pushfstring(L, "unknown option '%s'", key));
    }
    lua_pop(L, 1);
  }
}

/* query_string(ctx, query): the query table (as client:list takes it) as a URL's query, at
 * the end of ctx->out; pushes the result code. Run under lua_pcall: a wrong type raises its
 * message (referrals_lua_query with arg 0). */
static int query_string(lua_State *L) {
  referrals_ctx *ctx = lua_touserdata(L, 1);
  if (!lua_istable(L, 2))
    return luaL_error(L, "a query table expected, got %s", luaL_typename(L, 2));
  referrals_query q;
  memset(&q, 0, sizeof q);
  int rc = referrals_lua_query(L, ctx, 2, 0, &q);
  if (rc == REFERRALS_OK) referrals_query_append(&ctx->out, &q);
  if (rc == REFERRALS_OK && ctx->out.failed) rc = referrals_error_out_of_memory(&ctx->err);
  lua_pushinteger(L, rc);
  return 1;
}

/* The query on top of the stack (item i, 1-based) -> its query string, appended to ctx->out.
 * A wrong type is the item's validation error; memory runs out as elsewhere. */
static int prepare_query(lua_State *L, referrals_ctx *ctx, size_t i) {
  lua_pushcfunction(L, query_string);
  lua_pushlightuserdata(L, ctx);
  lua_pushvalue(L, -3);
  int status = lua_pcall(L, 2, 1, 0);
  if (status == LUA_ERRMEM) lua_error(L);
  int rc = status == 0 ? (int)lua_tointeger(L, -1) : REFERRALS_E_VALIDATION;
  if (status != 0)
    referrals_error_set(&ctx->err, REFERRALS_E_VALIDATION, "query", NULL, "item %zu: %s", i,
                        lua_tostring(L, -1));
  lua_pop(L, 1);
  return rc;
}

/* The string member key of the update table at idx, pushed: a string without NUL bytes (the
 * item's parts are NUL-separated), or nil when optional; otherwise *rc is the item's
 * validation error. */
static const char *update_string(lua_State *L, referrals_ctx *ctx, int idx, const char *key,
                                 int optional, size_t i, size_t *len, int *rc) {
  lua_pushstring(L, key);
  lua_rawget(L, idx);
  *len = 0;
  if (optional && lua_isnil(L, -1)) return "";
  const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
  if (!s || memchr(s, '\0', *len))
    *rc = referrals_error_set(&ctx->err, REFERRALS_E_VALIDATION, key, key,
                              "item %zu: %s: a string without NUL bytes expected, got %s", i, key,
                              s ? "a string with a NUL byte" : luaL_typename(L, -1));
  return s;
}

/* The update { id =, changes = [, etag =] } on top of the stack (item i, 1-based) -> id, NUL,
 * If-Match value, NUL, JSON Patch, appended to ctx->out (REFERRALS_BULK_UPDATE). */
static int prepare_update(lua_State *L, referrals_ctx *ctx, size_t i) {
  int item = lua_gettop(L), rc = REFERRALS_OK;
  if (!lua_istable(L, item))
    return referrals_error_set(&ctx->err, REFERRALS_E_VALIDATION, "type", NULL,
                               "item %zu: an update table { id =, changes = [, etag =] } "
                               "expected, got %s",
                               i, luaL_typename(L, item));
  size_t id_len, etag_len;
  const char *id = update_string(L, ctx, item, "id", 0, i, &id_len, &rc);
  const char *etag =
      rc == REFERRALS_OK ? update_string(L, ctx, item, "etag", 1, i, &etag_len, &rc) : NULL;
  if (rc == REFERRALS_OK) {
    lua_pushliteral(L, "changes");
    lua_rawget(L, item);
    if (!lua_istable(L, -1))
      rc = referrals_error_set(&ctx->err, REFERRALS_E_VALIDATION, "changes", "changes",
                               "item %zu: changes: a table expected, got %s", i,
                               luaL_typename(L, -1));
  }
  if (rc == REFERRALS_OK) {
    referrals_buffer_append(&ctx->out, id, id_len);
    referrals_buffer_append(&ctx->out, "", 1);
    referrals_buffer_append(&ctx->out, etag, etag_len);
    referrals_buffer_append(&ctx->out, "", 1);
    rc = referrals_lua_patch(L, ctx, lua_gettop(L));
  }
  lua_settop(L, item);
  return rc;
}

/* Item i (1-based) on top of the stack -> its request data, appended to ctx->out. Returns
 * REFERRALS_OK, or a validation error: the item is then not sent. */
static int prepare_item(lua_State *L, referrals_ctx *ctx, referrals_bulk_op op, size_t i) {
  size_t start = ctx->out.len;
  int rc;
  if (op == REFERRALS_BULK_LIST) {
    rc = prepare_query(L, ctx, i);
  } else if (op == REFERRALS_BULK_UPDATE) {
    rc = prepare_update(L, ctx, i);
  } else if (op == REFERRALS_BULK_CREATE) {
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

/* Converts the item on top of the stack (item i, 1-based), replacing it with nothing when it
 * is sendable (its text at the end of ctx->out, *len long) or with its error object (with
 * err.errors, every problem of the item). Returns whether it is sendable. */
static int convert(lua_State *L, referrals_ctx *ctx, referrals_bulk_op op, size_t i, size_t *len) {
  referrals_error_clear(&ctx->err);
  size_t start = ctx->out.len;
  int ok = prepare_item(L, ctx, op, i) == REFERRALS_OK;
  lua_pop(L, 1);
  *len = ctx->out.len - start;
  if (!ok) {
    referrals_push_ctx_error(L, ctx);
    lua_remove(L, -2); /* the nil */
  }
  /* The converted struct is written out, and its problems pushed: neither is needed. */
  referrals_ctx_forget(ctx);
  referrals_error_clear(&ctx->err);
  return ok;
}

/* Converts every item of the table; the invalid ones get their error in results at once.
 * Then points the items at their text in ctx->out (which no longer moves). Returns the
 * number refused. */
static size_t prepare(lua_State *L, referrals_ctx *ctx, referrals_bulk_op op,
                      referrals_bulk_item *items, size_t n) {
  size_t refused = 0;
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, A_LIST, (lua_Integer)i + 1);
    items[i].data = "";
    if (!convert(L, ctx, op, i + 1, &items[i].len)) {
      items[i].data = NULL;
      refused++;
      lua_rawseti(L, A_RESULTS, (lua_Integer)i + 1);
    }
  }
  const char *p = ctx->out.data ? ctx->out.data : ""; /* NULL: nothing written, every id "" */
  for (size_t i = 0; i < n; i++) {
    if (!items[i].data) continue;
    items[i].data = p;
    p += items[i].len;
  }
  return refused;
}

/* What pull (under lua_pcall) does for next_item. */
typedef struct pull_job {
  many *m;
  size_t index;
  size_t len;
  int end, sendable;
} pull_job;

/* pull(job, iterator [, extra]): the iterator's next item, converted: pushes nothing (the
 * end, or sendable) or the item's error object. The conversion may raise (memory): it runs
 * under lua_pcall too, in a frame of its own, so the call's set of extra paths is passed in
 * and ctx->extra points at it here (next_item puts it back). */
static int pull(lua_State *L) {
  pull_job *j = lua_touserdata(L, 1);
  many *m = j->m;
  if (m->ctx->extra) m->ctx->extra = 3;
  lua_pushvalue(L, 2);
  lua_call(L, 0, 1);
  if (lua_isnil(L, -1)) {
    j->end = 1;
    return 0;
  }
  m->ctx->out.len = 0; /* the core copied the item before */
  m->ctx->out.failed = 0;
  j->sendable = convert(L, m->ctx, m->op, j->index + 1, &j->len);
  return j->sendable ? 0 : 1;
}

/* The core's next callback: the next item of the table or of the iterator. A refused one is
 * final at once: its error is handed over (a table's is in results already, without
 * on_result). */
static int next_item(void *ud, size_t index, referrals_bulk_item *item, int *end) {
  many *m = ud;
  lua_State *L = m->L;
  if (m->items) {
    *end = index == m->n;
    if (*end) return 0;
    *item = m->items[index];
    if (!item->data && m->has_on_result) {
      m->failed++;
      lua_rawgeti(L, A_RESULTS, (lua_Integer)index + 1);
      return hand_over(m, index, 0);
    }
  } else {
    pull_job j = {m, index, 0, 0, 0};
    int extra = m->ctx->extra;
    lua_pushcfunction(L, pull);
    lua_pushlightuserdata(L, &j);
    lua_pushvalue(L, A_LIST);
    if (extra) lua_pushvalue(L, extra);
    int failed = lua_pcall(L, extra ? 3 : 2, LUA_MULTRET, 0) != 0;
    m->ctx->extra = extra;
    if (failed) return aborted(m, "the iterator");
    *end = j.end;
    if (j.end) return 0;
    if (!j.sendable) {
      m->failed++;
      m->done++;
      return hand_over(m, index, 0);
    }
    item->data = m->ctx->out.data ? m->ctx->out.data : ""; /* NULL: an id "" first */
    item->len = j.len;
  }
  /* at most one per slot: an item is asked for only when a slot is free */
  if (item->data && m->nflight < MAX_CONCURRENCY) m->in_flight[m->nflight++] = index;
  return 0;
}

static int by_index(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

/* The run stopped (nil, err on top): err.in_flight = the items (1-based, ascending) that were
 * handed to the core and whose result was never reported; a create among them may have been
 * made, an update applied (err.in_doubt). */
static void tell_in_flight(lua_State *L, many *m) {
  qsort(m->in_flight, m->nflight, sizeof m->in_flight[0], by_index);
  lua_createtable(L, (int)m->nflight, 0);
  for (unsigned i = 0; i < m->nflight; i++) {
    lua_pushinteger(L, (lua_Integer)m->in_flight[i] + 1);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "in_flight");
  if (m->nflight == 0 || m->op == REFERRALS_BULK_GET || m->op == REFERRALS_BULK_LIST) return;
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "in_doubt");
}

/* With on_result: { items =, ok =, failed =, in_doubt = }. */
static void push_summary(lua_State *L, const many *m) {
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, (lua_Integer)(m->ok + m->failed));
  lua_setfield(L, -2, "items");
  lua_pushinteger(L, (lua_Integer)m->ok);
  lua_setfield(L, -2, "ok");
  lua_pushinteger(L, (lua_Integer)m->failed);
  lua_setfield(L, -2, "failed");
  lua_pushinteger(L, (lua_Integer)m->in_doubt);
  lua_setfield(L, -2, "in_doubt");
}

/* client:create_many(list [, opts]) / client:get_many(ids [, opts]) /
 * client:list_many(queries [, opts]) / client:update_many(updates [, opts]), list a table or
 * an iterator -> results (a table; with on_result a summary) | nil, err */
static int many_call(lua_State *L, referrals_bulk_op op) {
  luaL_argcheck(L, lua_istable(L, A_LIST) || lua_isfunction(L, A_LIST), A_LIST - 1,
                "table or function (an iterator) expected");
  if (!lua_isnoneornil(L, A_OPTS)) luaL_checktype(L, A_OPTS, LUA_TTABLE);
  lua_settop(L, A_OPTS);
  referrals_bulk_options o;
  read_options(L, &o);                     /* A_PROGRESS, A_ON_RESULT */
  many *m = lua_newuserdata(L, sizeof *m); /* A_STATE */
  memset(m, 0, sizeof *m);
  m->L = L;
  m->op = op;
  m->has_progress = !lua_isnil(L, A_PROGRESS);
  m->has_on_result = !lua_isnil(L, A_ON_RESULT);
  int table = lua_istable(L, A_LIST);
  m->n = table ? lua_rawlen(L, A_LIST) : 0;
  referrals_bulk_item *items = NULL;
  if (table)
    items = lua_newuserdata(L, (m->n ? m->n : 1) * sizeof *items); /* A_ITEMS */
  else
    lua_pushnil(L);
  int size = table && !m->has_on_result && m->n <= 0x7fffffff ? (int)m->n : 0;
  lua_createtable(L, size, 0);        /* A_RESULTS */
  lua_pushcfunction(L, store_result); /* A_STORE */
  int extra = referrals_client_extra(L, A_OPTS, A_OPTS);
  referrals_ctx *ctx = referrals_ctx_acquire(L); /* may push a fresh context: above the rest */
  ctx->extra = extra;
  m->ctx = ctx;
  if (table) m->done = prepare(L, ctx, op, items, m->n);
  m->items = items; /* after prepare: a table's refused items are in results from now on */
  double deadline = referrals_call_deadline(L, A_OPTS); /* each item's */
  referrals_client *c = NULL;
  referrals_call k = {.L = L};
  /* Held while the core runs, whose callbacks (token, log, next, done) are all under
   * lua_pcall: anything that may raise (a memory error) happens before or after, so it
   * cannot leave the client held. */
  int rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  if (rc == REFERRALS_OK) {
    o.done = on_done;
    o.next = next_item;
    o.ud = m;
    rc = referrals_bulk_stream(c, op, &o, &ctx->err);
  }
  referrals_call_end(L, &k);
  if (rc == REFERRALS_OK && m->has_on_result) push_summary(L, m);
  if (rc == REFERRALS_OK && !m->has_on_result) lua_pushvalue(L, A_RESULTS);
  int stopped = rc != REFERRALS_OK && strcmp(ctx->err.code, "aborted") == 0;
  int nret = referrals_call_finish(L, ctx, &k, rc);
  if (stopped) tell_in_flight(L, m);
  return nret;
}

int referrals_l_create_many(lua_State *L) { return many_call(L, REFERRALS_BULK_CREATE); }
int referrals_l_get_many(lua_State *L) { return many_call(L, REFERRALS_BULK_GET); }
int referrals_l_list_many(lua_State *L) { return many_call(L, REFERRALS_BULK_LIST); }
int referrals_l_update_many(lua_State *L) { return many_call(L, REFERRALS_BULK_UPDATE); }
