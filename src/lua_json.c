/*
 * lua_json.c: any Lua value <-> JSON text, for what the schema does not describe: members
 * it does not know, JSON-kind members (incentiveLevel, lastRunId) and members that arrived
 * in an unexpected shape. The schema-driven walks handle everything else.
 *
 * An empty JSON array decodes to an empty table with referrals.array_mt, so that it encodes
 * back as [] and not {} (an empty table has no shape of its own).
 */
#include <string.h>
#include <yajl/yajl_parse.h>

#include "lua_binding.h"

#define ARRAY_MT "referrals.array"

/* ---- Lua -> JSON ------------------------------------------------------------------------ */

typedef struct writer {
  lua_State *L;
  referrals_buffer *b;
  referrals_error *err;
  const char *path;
} writer;

static int write_error(writer *w, const char *code, const char *detail) {
  return referrals_error_set(w->err, REFERRALS_E_VALIDATION, code, w->path, "%s: %s",
                             w->path[0] ? w->path : "(top)", detail);
}

static int has_array_mt(lua_State *L, int idx) {
  if (!lua_getmetatable(L, idx)) return 0;
  luaL_getmetatable(L, ARRAY_MT);
  int same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

static int write_value(writer *w, int idx, int depth);

static int write_table(writer *w, int idx, int depth) {
  lua_State *L = w->L;
  if (depth > REFERRALS_MAX_DEPTH)
    return write_error(w, "too_deep", "table nested too deep (or a cycle)");
  luaL_checkstack(L, 4, "referrals: table too deep");
  size_t n = lua_rawlen(L, idx), count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    count++;
  }
  if (count == n && (n > 0 || has_array_mt(L, idx))) {
    referrals_buffer_append(w->b, "[", 1);
    for (size_t i = 1; i <= n; i++) {
      if (i > 1) referrals_buffer_append(w->b, ",", 1);
      lua_rawgeti(L, idx, (int)i);
      int rc = write_value(w, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
      if (rc) return rc;
    }
    referrals_buffer_append(w->b, "]", 1);
    return REFERRALS_OK;
  }
  referrals_buffer_append(w->b, "{", 1);
  int first = 1, rc = REFERRALS_OK;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      return write_error(w, "type", "a table with both array items and keys has no JSON form");
    }
    if (!first) referrals_buffer_append(w->b, ",", 1);
    first = 0;
    size_t klen;
    const char *key = lua_tolstring(L, -2, &klen);
    referrals_json_write_string(w->b, key, klen);
    referrals_buffer_append(w->b, ":", 1);
    rc = write_value(w, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
    if (rc) {
      lua_pop(L, 1);
      return rc;
    }
  }
  referrals_buffer_append(w->b, "}", 1);
  return REFERRALS_OK;
}

static int write_value(writer *w, int idx, int depth) {
  lua_State *L = w->L;
  switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx))
        referrals_buffer_append(w->b, "true", 4);
      else
        referrals_buffer_append(w->b, "false", 5);
      return REFERRALS_OK;
    case LUA_TNUMBER: {
      referrals_value v;
      memset(&v, 0, sizeof v);
#if REFERRALS_HAS_INTEGERS
      if (lua_isinteger(L, idx)) {
        v.is_integer = 1;
        v.as.integer = (long long)lua_tointeger(L, idx);
      } else
#endif
        v.as.number = (double)lua_tonumber(L, idx);
      if (referrals_json_write_number(w->b, &v) != 0)
        return write_error(w, "number", "NaN and infinity have no JSON form");
      return REFERRALS_OK;
    }
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, idx, &len);
      if (!referrals_utf8_valid(s, len)) return write_error(w, "utf8", "string is not valid UTF-8");
      referrals_json_write_string(w->b, s, len);
      return REFERRALS_OK;
    }
    case LUA_TTABLE: return write_table(w, idx, depth);
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == NULL) {
        referrals_buffer_append(w->b, "null", 4);
        return REFERRALS_OK;
      }
      /* fall through */
    default: {
      char detail[64];
      snprintf(detail, sizeof detail, "a %s has no JSON form", luaL_typename(L, idx));
      return write_error(w, "type", detail);
    }
  }
}

int referrals_lua_to_json(lua_State *L, int idx, referrals_buffer *b, referrals_error *err,
                          const char *path) {
  writer w = {L, b, err, path};
  int rc = write_value(&w, idx < 0 ? lua_gettop(L) + idx + 1 : idx, 1);
  if (rc == REFERRALS_OK && b->failed)
    rc = referrals_error_set(err, REFERRALS_E_MEMORY, "ENOMEM", NULL, "out of memory");
  return rc;
}

/* ---- JSON -> Lua ------------------------------------------------------------------------ */

/* The containers being filled are on the Lua stack; is_array/count say how to add to each. */
typedef struct reader {
  lua_State *L;
  int depth;
  struct {
    int is_array;
    int count;
  } open[REFERRALS_MAX_DEPTH];
  int too_deep;
} reader;

/* Adds the value on top of the stack to the open container (or leaves it: the root). */
static int place(reader *r) {
  lua_State *L = r->L;
  if (r->depth == 0) return 1;
  if (r->open[r->depth - 1].is_array)
    lua_rawseti(L, -2, ++r->open[r->depth - 1].count);
  else
    lua_rawset(L, -3); /* the key is below the value */
  return 1;
}

static int r_null(void *ctx) {
  reader *r = ctx;
  lua_pushlightuserdata(r->L, NULL);
  return place(r);
}

static int r_boolean(void *ctx, int b) {
  reader *r = ctx;
  lua_pushboolean(r->L, b);
  return place(r);
}

static int r_number(void *ctx, const char *s, size_t len) {
  reader *r = ctx;
  referrals_value v;
  memset(&v, 0, sizeof v);
  if (referrals_json_read_number(s, len, &v) != 0) return 0;
#if REFERRALS_HAS_INTEGERS
  if (v.is_integer)
    lua_pushinteger(r->L, (lua_Integer)v.as.integer);
  else
#endif
    lua_pushnumber(r->L, v.is_integer ? (lua_Number)v.as.integer : (lua_Number)v.as.number);
  return place(r);
}

static int r_string(void *ctx, const unsigned char *s, size_t len) {
  reader *r = ctx;
  lua_pushlstring(r->L, (const char *)s, len);
  return place(r);
}

static int r_open(reader *r, int is_array) {
  if (r->depth >= REFERRALS_MAX_DEPTH) {
    r->too_deep = 1;
    return 0;
  }
  luaL_checkstack(r->L, 4, "referrals: JSON too deep");
  lua_newtable(r->L);
  r->open[r->depth].is_array = is_array;
  r->open[r->depth].count = 0;
  r->depth++;
  return 1;
}

static int r_close(reader *r) {
  lua_State *L = r->L;
  r->depth--;
  if (r->open[r->depth].is_array && r->open[r->depth].count == 0) {
    luaL_getmetatable(L, ARRAY_MT);
    lua_setmetatable(L, -2);
  }
  return place(r);
}

static int r_start_map(void *ctx) { return r_open(ctx, 0); }
static int r_start_array(void *ctx) { return r_open(ctx, 1); }
static int r_end(void *ctx) { return r_close(ctx); }

static int r_map_key(void *ctx, const unsigned char *key, size_t len) {
  reader *r = ctx;
  lua_pushlstring(r->L, (const char *)key, len);
  return 1;
}

static const yajl_callbacks reader_callbacks = {r_null,   r_boolean,     NULL,        NULL,
                                                r_number, r_string,      r_start_map, r_map_key,
                                                r_end,    r_start_array, r_end};

typedef struct parse_job {
  yajl_handle h;
  const char *json;
  size_t len;
  yajl_status status;
} parse_job;

/* Runs under lua_pcall: a Lua error (out of memory) raised by a callback unwinds to the pcall,
 * and the yajl handle, owned by the caller, is freed there. */
static int parse_protected(lua_State *L) {
  parse_job *job = lua_touserdata(L, 1);
  lua_settop(L, 0);
  job->status = yajl_parse(job->h, (const unsigned char *)job->json, job->len);
  if (job->status == yajl_status_ok) job->status = yajl_complete_parse(job->h);
  return job->status == yajl_status_ok ? 1 : 0;
}

int referrals_push_json(lua_State *L, const char *json, size_t len, referrals_error *err) {
  reader r;
  memset(&r, 0, sizeof r);
  r.L = L;
  parse_job job = {NULL, json, len, yajl_status_ok};
  job.h = yajl_alloc(&reader_callbacks, NULL, &r);
  if (!job.h) return referrals_error_set(err, REFERRALS_E_MEMORY, "ENOMEM", NULL, "out of memory");
  lua_pushcfunction(L, parse_protected);
  lua_pushlightuserdata(L, &job);
  int st = lua_pcall(L, 1, 1, 0);
  size_t at = yajl_get_bytes_consumed(job.h);
  yajl_free(job.h);
  if (st != 0) lua_error(L); /* a Lua error (memory): re-raise, nothing of ours is held */
  if (job.status != yajl_status_ok) {
    lua_pop(L, 1);
    referrals_error_set(err, REFERRALS_E_JSON, r.too_deep ? "too_deep" : "syntax", NULL,
                        "invalid JSON value at byte %zu", at);
    err->position = (long)at;
    return REFERRALS_E_JSON;
  }
  return REFERRALS_OK;
}

void referrals_json_open(lua_State *L, int module) {
  luaL_newmetatable(L, ARRAY_MT);
  lua_setfield(L, module, "array_mt");
}
