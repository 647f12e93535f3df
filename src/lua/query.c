/*
 * query.c: the query table of client:list -> referrals_query (spec §1.2).
 *   filter    an OData expression (string, sent as given), or a table of equality
 *             conditions { engagementId = id, status = "Active" } that becomes
 *             "engagementId eq '...' and status eq 'Active'": names sorted, so one table
 *             always gives one URL; values quoted by referrals_filter_eq
 *   orderby   a string, or a list of strings joined by ","
 *   select    the same
 *   top, skip whole numbers >= 0
 *   count     boolean
 * The table is read raw. Every string is copied into the call's arena, so nothing the query
 * table holds has to outlive the call (the token function runs in between).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"

/* Raises "bad argument #1 to 'list' (...)", after releasing the context, which would
 * otherwise stay busy; for arg 0 (a query of list_many, read under lua_pcall) the bare
 * message, the context kept. */
static int wrong(lua_State *L, referrals_ctx *ctx, int arg, const char *fmt, const char *what) {
  if (arg == 0) return luaL_error(L, fmt, what);
  referrals_ctx_release(ctx);
  return luaL_argerror(L, arg, lua_pushfstring(L, fmt, what));
}

/* The query's strings become C strings: a NUL would cut "status eq 'A'\0 and ..." short and
 * broaden the query (issue 13), so it is refused as a bad argument. */
static void no_nul(lua_State *L, referrals_ctx *ctx, int arg, const char *s, size_t len,
                   const char *name) {
  if (memchr(s, '\0', len))
    wrong(L, ctx, arg, "query.%s: a string without NUL bytes expected", name);
}

static int keep(referrals_ctx *ctx, const char *s, size_t len, const char **out) {
  *out = referrals_arena_strdup(ctx->arena, s, len);
  return *out ? REFERRALS_OK : referrals_error_out_of_memory(&ctx->err);
}

static int keep_scratch(referrals_ctx *ctx, const char **out) {
  if (ctx->scratch.failed) return referrals_error_out_of_memory(&ctx->err);
  return keep(ctx, ctx->scratch.data ? ctx->scratch.data : "", ctx->scratch.len, out);
}

/* orderby, select: the value on top, a string or a list of strings. */
static int read_names(lua_State *L, referrals_ctx *ctx, int arg, const char *name,
                      const char **out) {
  int v = lua_gettop(L);
  size_t len;
  if (lua_type(L, v) == LUA_TSTRING) {
    const char *s = lua_tolstring(L, v, &len);
    no_nul(L, ctx, arg, s, len, name);
    return keep(ctx, s, len, out);
  }
  if (lua_type(L, v) != LUA_TTABLE)
    wrong(L, ctx, arg, "query.%s: string or list of strings expected", name);
  ctx->scratch.len = 0;
  ctx->scratch.failed = 0;
  size_t n = lua_rawlen(L, v);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, v, (int)i);
    if (lua_type(L, -1) != LUA_TSTRING)
      wrong(L, ctx, arg, "query.%s: a list of strings expected", name);
    const char *s = lua_tolstring(L, -1, &len);
    no_nul(L, ctx, arg, s, len, name);
    if (i > 1) referrals_buffer_append(&ctx->scratch, ",", 1);
    referrals_buffer_append(&ctx->scratch, s, len);
    lua_pop(L, 1);
  }
  return keep_scratch(ctx, out);
}

static long read_whole(lua_State *L, referrals_ctx *ctx, int arg, const char *name) {
  double d = lua_type(L, -1) == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : -1;
  if (!(d >= 0 && d <= 1e9 && d == floor(d)))
    wrong(L, ctx, arg, "query.%s: a whole number >= 0 expected", name);
  return (long)d;
}

typedef struct condition {
  const char *name, *value;
  size_t name_len, value_len;
} condition;

static int by_name(const void *a, const void *b) {
  const condition *x = a, *y = b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(x->name, y->name, n);
  return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* A table of equality conditions, on top. */
static int read_conditions(lua_State *L, referrals_ctx *ctx, int arg, const char **out) {
  int t = lua_gettop(L);
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      wrong(L, ctx, arg, "query.filter: %s", "a table of names to string values expected");
    n++;
    lua_pop(L, 1);
  }
  condition *all = referrals_arena_alloc(ctx->arena, (n ? n : 1) * sizeof *all);
  if (!all) return referrals_error_out_of_memory(&ctx->err);
  size_t i = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) { /* the strings stay referenced by the table while they are read */
    all[i].name = lua_tolstring(L, -2, &all[i].name_len);
    all[i].value = lua_tolstring(L, -1, &all[i].value_len);
    no_nul(L, ctx, arg, all[i].name, all[i].name_len, "filter");
    no_nul(L, ctx, arg, all[i].value, all[i].value_len, "filter");
    i++;
    lua_pop(L, 1);
  }
  qsort(all, n, sizeof *all, by_name);
  ctx->scratch.len = 0;
  ctx->scratch.failed = 0;
  for (i = 0; i < n; i++) {
    int rc = referrals_filter_eq(&ctx->scratch, all[i].name, all[i].name_len, all[i].value,
                                 all[i].value_len, &ctx->err);
    if (rc != REFERRALS_OK) return rc;
  }
  return keep_scratch(ctx, out);
}

int referrals_lua_query(lua_State *L, referrals_ctx *ctx, int idx, int arg, referrals_query *q) {
  static const char *const names[] = {"filter", "orderby", "select", "top", "skip", "count", NULL};
  int rc = REFERRALS_OK;
  lua_pushnil(L);
  while (rc == REFERRALS_OK && lua_next(L, idx)) {
    int which = -1;
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    for (int i = 0; names[i]; i++)
      if (strcmp(key, names[i]) == 0) which = i;
    switch (which) {
      case 0:
        if (lua_type(L, -1) == LUA_TSTRING) {
          size_t len;
          const char *s = lua_tolstring(L, -1, &len);
          no_nul(L, ctx, arg, s, len, "filter");
          rc = keep(ctx, s, len, &q->filter);
        } else if (lua_type(L, -1) == LUA_TTABLE) {
          rc = read_conditions(L, ctx, arg, &q->filter);
        } else {
          wrong(L, ctx, arg, "query.%s: string or table expected", key);
        }
        break;
      case 1: rc = read_names(L, ctx, arg, key, &q->orderby); break;
      case 2: rc = read_names(L, ctx, arg, key, &q->select); break;
      case 3: q->top = read_whole(L, ctx, arg, key); break;
      case 4: q->skip = read_whole(L, ctx, arg, key); break;
      case 5:
        if (lua_type(L, -1) != LUA_TBOOLEAN) wrong(L, ctx, arg, "query.%s: boolean expected", key);
        q->count = lua_toboolean(L, -1);
        break;
      default: wrong(L, ctx, arg, "unknown query option '%s'", key);
    }
    lua_pop(L, 1);
  }
  if (rc != REFERRALS_OK) lua_pop(L, 1); /* the key lua_next left */
  return rc;
}
