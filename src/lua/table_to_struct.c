/*
 * table_to_struct.c: Lua table -> C struct, one generic walk over the descriptors.
 *
 * Tables are read raw (lua_next, lua_rawget): no metamethod, so no script code, runs in the
 * middle of a conversion. Strings are not copied: the struct points into the Lua strings of
 * the argument table, which stays on the stack for the whole call. A type mismatch is
 * reported with the field's path, e.g. customerProfile.team[2].email: expected string, got
 * number; array items are counted from 1, as Lua counts them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "binding.h"

typedef struct segment {
  const char *key; /* NULL for an array item */
  size_t len;
  size_t index; /* 1-based, for array items */
} segment;

typedef struct conv {
  lua_State *L;
  referrals_ctx *ctx;
  int strict;
  int collect;      /* strict: an unknown key is a problem kept in ctx->problems, and the
                       conversion goes on (referrals_table_to_struct) */
  unsigned unknown; /* unknown keys collected */
  segment path[2 * REFERRALS_MAX_DEPTH];
  int depth;
} conv;

/* ---- field paths ------------------------------------------------------------------------ */

static void format_path(const conv *c, char *out, size_t size) {
  size_t n = 0;
  out[0] = '\0';
  for (int i = 0; i < c->depth && n < size; i++) {
    const segment *s = &c->path[i];
    int w = s->key ? snprintf(out + n, size - n, "%s%.*s", n ? "." : "", (int)s->len, s->key)
                   : snprintf(out + n, size - n, "[%zu]", s->index);
    if (w < 0) break;
    n += (size_t)w;
  }
}

static int push_segment(conv *c, const char *key, size_t len, size_t index) {
  if (c->depth >= (int)(sizeof c->path / sizeof c->path[0])) {
    return referrals_error_set(&c->ctx->err, REFERRALS_E_VALIDATION, "too_deep", NULL,
                               "table nested deeper than %d levels", REFERRALS_MAX_DEPTH);
  }
  c->path[c->depth].key = key;
  c->path[c->depth].len = len;
  c->path[c->depth].index = index;
  c->depth++;
  return REFERRALS_OK;
}

/* Fills the error with code and "<path>: <detail>"; the path is also err.field. */
static int fail(conv *c, const char *code, const char *detail) {
  char path[256];
  format_path(c, path, sizeof path);
  return referrals_error_set(&c->ctx->err, REFERRALS_E_VALIDATION, code, path, "%s: %s",
                             path[0] ? path : "(top)", detail);
}

static const char *lua_kind_name(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL) return "null";
  return luaL_typename(L, idx);
}

static int type_error(conv *c, const char *expected, int idx) {
  char detail[96];
  snprintf(detail, sizeof detail, "expected %s, got %s", expected, lua_kind_name(c->L, idx));
  return fail(c, "type", detail);
}

/* ---- values ----------------------------------------------------------------------------- */

static int table_to_object(conv *c, int idx, const referrals_type *t, void **out);

/* lt is lua_type(idx), read once by convert_value: each Lua API call costs tens of
 * instructions and a walk makes several per member (issue 5 profile). */
static int set_string(conv *c, int idx, int lt, const referrals_enum *e, referrals_value *v) {
  if (lt != LUA_TSTRING) return type_error(c, "string", idx);
  size_t len;
  v->as.string = lua_tolstring(c->L, idx, &len);
  if (len > UINT32_MAX) return fail(c, "too_large", "string too long");
  v->len = (uint32_t)len;
  v->code = e ? (int16_t)referrals_enum_find(e, v->as.string, len) : -1;
  v->state = REFERRALS_SET;
  return REFERRALS_OK;
}

/* A datetime is a spec string, or epoch seconds as a Lua number (issue 2). */
static int set_datetime(conv *c, int idx, int lt, referrals_value *v) {
  if (lt != LUA_TNUMBER) return set_string(c, idx, lt, NULL, v);
  char text[32];
  size_t n = referrals_datetime_format((double)lua_tonumber(c->L, idx), text);
  if (n == 0) return fail(c, "datetime", "epoch seconds out of the years 0001-9999");
  v->as.string = referrals_arena_strdup(c->ctx->arena, text, n);
  if (!v->as.string) return referrals_error_out_of_memory(&c->ctx->err);
  v->len = (uint32_t)n;
  v->state = REFERRALS_SET;
  return REFERRALS_OK;
}

static int set_number(conv *c, int idx, int lt, referrals_value *v) {
  if (lt != LUA_TNUMBER) return type_error(c, "number", idx);
  v->state = REFERRALS_SET;
#if REFERRALS_HAS_INTEGERS
  if (lua_isinteger(c->L, idx)) {
    v->is_integer = 1;
    v->as.integer = (long long)lua_tointeger(c->L, idx);
    return REFERRALS_OK;
  }
#endif
  double d = (double)lua_tonumber(c->L, idx);
  /* Without integer subtype (5.1, 5.2, LuaJIT) whole numbers up to 2^53 are exact. */
  if (!REFERRALS_HAS_INTEGERS && d == floor(d) && fabs(d) <= 9007199254740992.0) {
    v->is_integer = 1;
    v->as.integer = (long long)d;
    return REFERRALS_OK;
  }
  v->as.number = d;
  return REFERRALS_OK;
}

/* Any Lua value as raw JSON (JSON-kind members, unknown members kept by encode). */
static int raw_json(conv *c, int idx, const char **json, size_t *len) {
  char path[256];
  format_path(c, path, sizeof path);
  referrals_buffer *b = &c->ctx->scratch;
  b->len = 0;
  b->failed = 0;
  int rc = referrals_lua_to_json(c->L, idx, b, &c->ctx->err, path);
  if (rc) return rc;
  *json = referrals_arena_strdup(c->ctx->arena, b->data ? b->data : "", b->len);
  if (!*json) return referrals_error_out_of_memory(&c->ctx->err);
  *len = b->len;
  return REFERRALS_OK;
}

static int convert_value(conv *c, int idx, uint8_t kind, const referrals_field *f,
                         referrals_value *v);

/* An array is a sequence 1..n and nothing else; an empty table is an empty array. */
static int table_to_array(conv *c, int idx, int lt, const referrals_field *f, uint8_t item_kind,
                          referrals_value *v) {
  lua_State *L = c->L;
  if (lt != LUA_TTABLE) return type_error(c, "array", idx);
  size_t n = lua_rawlen(L, idx), count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (++count > n) {
      lua_pop(L, 1);
      break;
    }
  }
  if (count != n)
    return fail(c, "type", "expected an array (a sequence 1..n), got a table with other keys");
  if (n > UINT32_MAX) return fail(c, "too_large", "array too long");
  v->state = REFERRALS_SET;
  v->len = (uint32_t)n;
  v->as.items = NULL;
  if (n == 0) return REFERRALS_OK;
  v->as.items = referrals_arena_alloc(c->ctx->arena, n * sizeof *v->as.items);
  if (!v->as.items) return referrals_error_out_of_memory(&c->ctx->err);
  for (size_t i = 0; i < n; i++) {
    int rc = push_segment(c, NULL, 0, i + 1);
    if (rc) return rc;
    lua_rawgeti(L, idx, (int)(i + 1));
    rc = convert_value(c, lua_gettop(L), item_kind, f, &v->as.items[i]);
    lua_pop(L, 1);
    c->depth--;
    if (rc) return rc;
  }
  return REFERRALS_OK;
}

static int convert_value(conv *c, int idx, uint8_t kind, const referrals_field *f,
                         referrals_value *v) {
  lua_State *L = c->L;
  int lt = lua_type(L, idx);
  if (lt == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL) { /* null */
    v->state = REFERRALS_NULL;
    return REFERRALS_OK;
  }
  switch (kind) {
    case REFERRALS_KIND_STRING: return set_string(c, idx, lt, NULL, v);
    case REFERRALS_KIND_ENUM: return set_string(c, idx, lt, f->enumeration, v);
    case REFERRALS_KIND_DATETIME: return set_datetime(c, idx, lt, v);
    case REFERRALS_KIND_BOOL:
      if (lt != LUA_TBOOLEAN) return type_error(c, "boolean", idx);
      v->state = REFERRALS_SET;
      v->as.boolean = lua_toboolean(L, idx);
      return REFERRALS_OK;
    case REFERRALS_KIND_NUMBER: return set_number(c, idx, lt, v);
    case REFERRALS_KIND_OBJECT: {
      if (lt != LUA_TTABLE) return type_error(c, "object", idx);
      v->state = REFERRALS_SET;
      return table_to_object(c, idx, f->type, &v->as.object);
    }
    case REFERRALS_KIND_OBJECT_ARRAY:
      return table_to_array(c, idx, lt, f, REFERRALS_KIND_OBJECT, v);
    case REFERRALS_KIND_STRING_ARRAY:
      return table_to_array(c, idx, lt, f, REFERRALS_KIND_STRING, v);
    default: { /* JSON */
      size_t len;
      int rc = raw_json(c, idx, &v->as.string, &len);
      if (rc) return rc;
      v->len = (uint32_t)len;
      v->state = REFERRALS_SET;
      return REFERRALS_OK;
    }
  }
}

/* ---- objects ---------------------------------------------------------------------------- */

/* The member at the current path is one the caller sends on purpose (opts.extra). */
static int on_extra_list(conv *c) {
  if (!c->ctx->extra) return 0;
  char path[256];
  format_path(c, path, sizeof path);
  return referrals_extra_allows(c->L, c->ctx, path, strlen(path));
}

/* strict: refused with its "did you mean", unless on the extra list; else (and then) kept
 * as raw JSON, written by encode after the known members. */
static int unknown_key(conv *c, const referrals_type *t, void *obj, int key_idx, int val_idx) {
  size_t len;
  const char *key = lua_tolstring(c->L, key_idx, &len);
  int rc = push_segment(c, key, len, 0);
  if (rc) return rc;
  if (c->strict && !on_extra_list(c)) {
    /* The key is the caller's text, maybe customer data: named in err.value, not in the
     * message or err.field, which say where it is (issue 13). The suggestion is a schema
     * key. */
    const char *near = referrals_suggest_key(t, key, len);
    char path[256];
    c->depth--; /* the path of the object holding the key */
    format_path(c, path, sizeof path);
    referrals_error_set(&c->ctx->err, REFERRALS_E_VALIDATION, "unknown_key", path,
                        "%s%sunknown key in a %s%s%s%s", path, path[0] ? ": " : "", t->wire_name,
                        near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
    snprintf(c->ctx->err.value, sizeof c->ctx->err.value, "%.*s",
             (int)(len < sizeof c->ctx->err.value ? len : sizeof c->ctx->err.value - 1), key);
    if (!c->collect) return REFERRALS_E_VALIDATION;
    referrals_ctx_keep_problem(c->ctx, &c->ctx->err);
    c->unknown++;
    return REFERRALS_OK;
  }
  referrals_unknown *u = referrals_arena_alloc(c->ctx->arena, sizeof *u);
  if (!u) return referrals_error_out_of_memory(&c->ctx->err);
  rc = raw_json(c, val_idx, &u->json, &u->json_len);
  if (rc) return rc;
  c->depth--;
  u->key = key;
  u->key_len = len;
  referrals_unknown **list = REFERRALS_UNKNOWN(obj, t);
  u->next = *list;
  *list = u;
  return REFERRALS_OK;
}

static int table_to_object(conv *c, int idx, const referrals_type *t, void **out) {
  lua_State *L = c->L;
  void *obj = referrals_arena_alloc(c->ctx->arena, t->size);
  if (!obj) return referrals_error_out_of_memory(&c->ctx->err);
  *out = obj;
  int rc = REFERRALS_OK;
  lua_pushnil(L);
  while (rc == REFERRALS_OK && lua_next(L, idx)) {
    int val = lua_gettop(L), key = val - 1;
    if (lua_type(L, key) != LUA_TSTRING) {
      char detail[96];
      snprintf(detail, sizeof detail, "keys of a %s are strings, got a %s key", t->wire_name,
               luaL_typename(L, key));
      rc = fail(c, "type", detail);
    } else {
      /* The member is found from the key's bytes in the context's key index (a hash in
       * C), not with a lua_rawget in a Lua table of keys: that took four API calls per
       * member (push, rawget, tointeger, pop). */
      size_t klen;
      const char *k = lua_tolstring(L, key, &klen);
      const referrals_field *f = referrals_key_index_find(c->ctx->keys, t, k, klen);
      if (!f) {
        rc = unknown_key(c, t, obj, key, val);
      } else {
        rc = push_segment(c, f->key, f->key_len, 0);
        if (rc == REFERRALS_OK) {
          rc = convert_value(c, val, f->kind, f, REFERRALS_FIELD_VALUE(obj, t, f));
          if (rc == REFERRALS_OK) c->depth--;
        }
      }
    }
    lua_pop(L, 1); /* the value; the key stays for lua_next */
  }
  if (rc != REFERRALS_OK) lua_pop(L, 1); /* the key lua_next left */
  return rc;
}

int referrals_lua_to_value(lua_State *L, referrals_ctx *ctx, int idx, const referrals_field *f,
                           int as_item, const char *path, referrals_value *out) {
  luaL_checkstack(L, ctx->stack_need, "referrals: table too deep");
  conv c;
  c.L = L;
  c.ctx = ctx;
  c.strict = 1;
  c.collect = 0;
  c.unknown = 0;
  c.depth = 0;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  push_segment(&c, path, strlen(path), 0);
  uint8_t kind = f->kind;
  if (as_item)
    kind = kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING;
  memset(out, 0, sizeof *out);
  return convert_value(&c, idx, kind, f, out);
}

int referrals_table_to_struct(lua_State *L, referrals_ctx *ctx, int idx, const referrals_type *t,
                              int strict, void **out) {
  luaL_checkstack(L, ctx->stack_need, "referrals: table too deep");
  conv c;
  c.L = L;
  c.ctx = ctx;
  c.strict = strict;
  c.collect = strict;
  c.unknown = 0;
  c.depth = 0;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  int rc = table_to_object(&c, idx, t, out);
  if (rc != REFERRALS_OK) {
    ctx->nproblems = 0; /* a value that cannot be converted is reported alone */
    return rc;
  }
  if (!c.unknown) return REFERRALS_OK;
  if (ctx->nproblems) ctx->err = ctx->problems[0]; /* the first unknown key */
  return REFERRALS_E_VALIDATION;
}
