/*
 * lua_values.c: Lua values read as the schema's values. The Lua source of the encode walk
 * (src/core/encode_walk.h): a referral table is read one object at a time, as the walk
 * reaches it, into values on the C stack (nested tables stay on the Lua stack as handles),
 * so that it is checked and written in one pass, without structs (issue 16); a JSON Patch
 * operation's value (patch.c) the same way.
 *
 * referrals_walk_structs is the C API's way for the same table (the whole table converted
 * into structs, then the walk over them), a test aid the specs compare with.
 *
 * Tables are read raw (lua_next, lua_rawget): no metamethod, so no script code, runs in the
 * middle of a walk. Strings are not copied: values point into the Lua strings of the
 * argument table, which stays on the stack for the whole call. A type mismatch is reported
 * with the field's path, e.g. customerProfile.team[2].email: expected string, got number;
 * array items are counted from 1, as Lua counts them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "binding.h"
#include "encode_walk.h"

typedef referrals_path path;

typedef struct conv {
  lua_State *L;
  referrals_ctx *ctx;
  int strict;
  int collect;      /* strict: an unknown key is a problem kept in ctx->problems, and the
                       walk goes on */
  int shallow;      /* the walk's source: objects and arrays stay tables, read when reached */
  unsigned unknown; /* unknown keys collected */
  /* the source's open objects and items: the stack top to go back to */
  int tops[2 * REFERRALS_MAX_DEPTH + 2];
  int depth;
} conv;

#define HANDLE(idx) ((void *)(intptr_t)(idx))
#define STACK_INDEX(handle) ((int)(intptr_t)(handle))

/* ---- errors ------------------------------------------------------------------------------ */

/* Fills the error with code and "<path>: <detail>"; the path is also err.field. */
static int fail(conv *c, const path *at, const char *code, const char *detail) {
  char text[256];
  referrals_path_render(at, text, sizeof text);
  return referrals_error_set(&c->ctx->err, REFERRALS_E_VALIDATION, code, text, "%s: %s",
                             text[0] ? text : "(top)", detail);
}

static const char *lua_kind_name(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL) return "null";
  return luaL_typename(L, idx);
}

static int type_error(conv *c, const path *at, const char *expected, int idx) {
  char detail[96];
  snprintf(detail, sizeof detail, "expected %s, got %s", expected, lua_kind_name(c->L, idx));
  return fail(c, at, "type", detail);
}

/* ---- values ----------------------------------------------------------------------------- */

static int table_to_object(conv *c, int idx, const referrals_type *t, const path *at, void **out);

/* lt is lua_type(idx), read once by convert_value: each Lua API call costs tens of
 * instructions and a walk makes several per member (issue 5 profile). */
static int set_string(conv *c, int idx, int lt, const referrals_enum *e, const path *at,
                      referrals_value *v) {
  if (lt != LUA_TSTRING) return type_error(c, at, "string", idx);
  size_t len;
  v->as.string = lua_tolstring(c->L, idx, &len);
  if (len > UINT32_MAX) return fail(c, at, "too_large", "string too long");
  v->len = (uint32_t)len;
  /* The code is for structs (those the C API's way builds); the walk of a table judges
   * an enum by its string (validate.c), so it is not looked up twice there. */
  v->code = e && !c->shallow ? (int16_t)referrals_enum_find(e, v->as.string, len) : -1;
  v->state = REFERRALS_SET;
  return REFERRALS_OK;
}

/* A datetime is a spec string, or epoch seconds as a Lua number (issue 2). */
static int set_datetime(conv *c, int idx, int lt, const path *at, referrals_value *v) {
  if (lt != LUA_TNUMBER) return set_string(c, idx, lt, NULL, at, v);
  char text[32];
  size_t n = referrals_datetime_format((double)lua_tonumber(c->L, idx), text);
  if (n == 0) return fail(c, at, "datetime", "epoch seconds out of the years 0001-9999");
  v->as.string = referrals_arena_strdup(c->ctx->arena, text, n);
  if (!v->as.string) return referrals_error_out_of_memory(&c->ctx->err);
  v->len = (uint32_t)n;
  v->state = REFERRALS_SET;
  return REFERRALS_OK;
}

static int set_number(conv *c, int idx, int lt, const path *at, referrals_value *v) {
  if (lt != LUA_TNUMBER) return type_error(c, at, "number", idx);
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
static int raw_json(conv *c, int idx, const path *at, const char **json, size_t *len) {
  char text[256];
  referrals_path_render(at, text, sizeof text);
  referrals_buffer *b = &c->ctx->scratch;
  b->len = 0;
  b->failed = 0;
  int rc = referrals_lua_to_json(c->L, idx, b, &c->ctx->err, text);
  if (rc) return rc;
  *json = referrals_arena_strdup(c->ctx->arena, b->data ? b->data : "", b->len);
  if (!*json) return referrals_error_out_of_memory(&c->ctx->err);
  *len = b->len;
  return REFERRALS_OK;
}

static int convert_value(conv *c, int idx, uint8_t kind, const referrals_field *f, const path *at,
                         referrals_value *v);

/* An array is a sequence 1..n and nothing else; an empty table is an empty array. The walk
 * reads its items when it reaches them; into structs, they are converted now. */
static int table_to_array(conv *c, int idx, int lt, const referrals_field *f, uint8_t item_kind,
                          const path *at, referrals_value *v) {
  lua_State *L = c->L;
  if (lt != LUA_TTABLE) return type_error(c, at, "array", idx);
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
    return fail(c, at, "type", "expected an array (a sequence 1..n), got a table with other keys");
  if (n > UINT32_MAX) return fail(c, at, "too_large", "array too long");
  v->state = REFERRALS_SET;
  v->len = (uint32_t)n;
  if (c->shallow) {
    v->as.object = HANDLE(idx);
    return REFERRALS_OK;
  }
  v->as.items = NULL;
  if (n == 0) return REFERRALS_OK;
  v->as.items = referrals_arena_alloc(c->ctx->arena, n * sizeof *v->as.items);
  if (!v->as.items) return referrals_error_out_of_memory(&c->ctx->err);
  for (size_t i = 0; i < n; i++) {
    const path here = {at, NULL, 0, (uint32_t)(i + 1)};
    lua_rawgeti(L, idx, (int)(i + 1));
    int rc = convert_value(c, lua_gettop(L), item_kind, f, &here, &v->as.items[i]);
    lua_pop(L, 1);
    if (rc) return rc;
  }
  return REFERRALS_OK;
}

/* The value at idx as a value of kind (f's, or its items'). A shallow conversion leaves a
 * table it takes (an object, an array) as a handle: its stack index. */
static int convert_value(conv *c, int idx, uint8_t kind, const referrals_field *f, const path *at,
                         referrals_value *v) {
  lua_State *L = c->L;
  int lt = lua_type(L, idx);
  if (lt == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL) { /* null */
    v->state = REFERRALS_NULL;
    return REFERRALS_OK;
  }
  switch (kind) {
    case REFERRALS_KIND_STRING: return set_string(c, idx, lt, NULL, at, v);
    case REFERRALS_KIND_ENUM: return set_string(c, idx, lt, f->enumeration, at, v);
    case REFERRALS_KIND_DATETIME: return set_datetime(c, idx, lt, at, v);
    case REFERRALS_KIND_BOOL:
      if (lt != LUA_TBOOLEAN) return type_error(c, at, "boolean", idx);
      v->state = REFERRALS_SET;
      v->as.boolean = lua_toboolean(L, idx);
      return REFERRALS_OK;
    case REFERRALS_KIND_NUMBER: return set_number(c, idx, lt, at, v);
    case REFERRALS_KIND_OBJECT:
      if (lt != LUA_TTABLE) return type_error(c, at, "object", idx);
      v->state = REFERRALS_SET;
      if (!c->shallow) return table_to_object(c, idx, f->type, at, &v->as.object);
      v->as.object = HANDLE(idx);
      return REFERRALS_OK;
    case REFERRALS_KIND_OBJECT_ARRAY:
      return table_to_array(c, idx, lt, f, REFERRALS_KIND_OBJECT, at, v);
    case REFERRALS_KIND_STRING_ARRAY:
      return table_to_array(c, idx, lt, f, REFERRALS_KIND_STRING, at, v);
    default: { /* JSON */
      size_t len;
      int rc = raw_json(c, idx, at, &v->as.string, &len);
      if (rc) return rc;
      v->len = (uint32_t)len;
      v->state = REFERRALS_SET;
      return REFERRALS_OK;
    }
  }
}

/* ---- objects ---------------------------------------------------------------------------- */

/* The member at the path is one the caller sends on purpose (opts.extra). */
static int on_extra_list(conv *c, const path *member) {
  if (!c->ctx->extra) return 0;
  char text[256];
  size_t n = referrals_path_render(member, text, sizeof text);
  return referrals_extra_allows(c->L, c->ctx, text, n);
}

/* strict: refused with its "did you mean", unless on the extra list; else (and then) kept
 * as raw JSON, written by encode after the known members. */
static int unknown_key(conv *c, const referrals_type *t, referrals_unknown **list, const path *at,
                       int key_idx, int val_idx) {
  size_t len;
  const char *key = lua_tolstring(c->L, key_idx, &len);
  const path member = {at, key, len, 0};
  if (c->strict && !on_extra_list(c, &member)) {
    /* The key is the caller's text, maybe customer data: named in err.value, not in the
     * message or err.field, which say where it is (issue 13). The suggestion is a schema
     * key. */
    const char *near = referrals_suggest_key(t, key, len);
    char text[256];
    referrals_path_render(at, text, sizeof text); /* the path of the object holding the key */
    referrals_error_set(&c->ctx->err, REFERRALS_E_VALIDATION, "unknown_key", text,
                        "%s%sunknown key in a %s%s%s%s", text, text[0] ? ": " : "", t->wire_name,
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
  int rc = raw_json(c, val_idx, &member, &u->json, &u->json_len);
  if (rc) return rc;
  u->key = key;
  u->key_len = len;
  u->next = *list;
  *list = u;
  return REFERRALS_OK;
}

/* The members of the table at idx into values[] (one per field of t, zeroed) and the
 * unknown list. Shallow: a table a member takes is kept on the stack, below the key. */
static int read_members(conv *c, int idx, const referrals_type *t, const path *at,
                        referrals_value *values, referrals_unknown **unknown) {
  lua_State *L = c->L;
  int rc = REFERRALS_OK;
  lua_pushnil(L);
  while (rc == REFERRALS_OK && lua_next(L, idx)) {
    int val = lua_gettop(L), key = val - 1;
    if (lua_type(L, key) != LUA_TSTRING) {
      char detail[96];
      snprintf(detail, sizeof detail, "keys of a %s are strings, got a %s key", t->wire_name,
               luaL_typename(L, key));
      rc = fail(c, at, "type", detail);
    } else {
      /* The member is found from the key's bytes in the context's key index (a hash in
       * C), not with a lua_rawget in a Lua table of keys: that took four API calls per
       * member (push, rawget, tointeger, pop). */
      size_t klen;
      const char *k = lua_tolstring(L, key, &klen);
      const referrals_field *f = referrals_key_index_find(c->ctx->keys, t, k, klen);
      if (!f) {
        rc = unknown_key(c, t, unknown, at, key, val);
      } else {
        const path member = {at, f->key, f->key_len, 0};
        referrals_value *v = &values[f - t->fields];
        rc = convert_value(c, val, f->kind, f, &member, v);
        if (rc == REFERRALS_OK && c->shallow && v->state == REFERRALS_SET &&
            (f->kind == REFERRALS_KIND_OBJECT || f->kind == REFERRALS_KIND_OBJECT_ARRAY ||
             f->kind == REFERRALS_KIND_STRING_ARRAY)) {
          /* kept for the walk: the value stays where it is, the key goes on top for
           * lua_next, and the handle is the value's index */
          lua_insert(L, key);
          v->as.object = HANDLE(key);
          continue;
        }
      }
    }
    lua_pop(L, 1); /* the value; the key stays for lua_next */
  }
  if (rc != REFERRALS_OK) lua_pop(L, 1); /* the key lua_next left */
  return rc;
}

static int table_to_object(conv *c, int idx, const referrals_type *t, const path *at, void **out) {
  void *obj = referrals_arena_alloc(c->ctx->arena, t->size);
  if (!obj) return referrals_error_out_of_memory(&c->ctx->err);
  *out = obj;
  return read_members(c, idx, t, at, REFERRALS_FIELD_VALUE(obj, t, t->fields),
                      REFERRALS_UNKNOWN(obj, t));
}

/* ---- the walk's source ------------------------------------------------------------------- */

static int push_top(conv *c) {
  if (c->depth >= (int)(sizeof c->tops / sizeof c->tops[0]))
    return referrals_error_set(&c->ctx->err, REFERRALS_E_VALIDATION, "too_deep", NULL,
                               "table nested deeper than %d levels", REFERRALS_MAX_DEPTH);
  c->tops[c->depth++] = lua_gettop(c->L);
  return REFERRALS_OK;
}

static void pop_top(void *ud) {
  conv *c = ud;
  lua_settop(c->L, c->tops[--c->depth]);
}

static int source_object_open(void *ud, const void *handle, const referrals_type *t, const path *at,
                              referrals_value *storage, const referrals_value **vals,
                              const referrals_unknown **unknown) {
  conv *c = ud;
  int rc = push_top(c); /* the room it takes: ctx->stack_need, checked once per walk */
  if (rc) return rc;
  memset(storage, 0, t->nfields * sizeof *storage);
  referrals_unknown *list = NULL;
  *vals = storage;
  rc = read_members(c, STACK_INDEX(handle), t, at, storage, &list);
  *unknown = list;
  if (rc) pop_top(c);
  return rc;
}

static int source_item_open(void *ud, const referrals_field *f, const referrals_value *v,
                            uint32_t i, const path *at, referrals_value *storage,
                            const referrals_value **item) {
  conv *c = ud;
  int rc = push_top(c);
  if (rc) return rc;
  lua_rawgeti(c->L, STACK_INDEX(v->as.object), (int)i + 1);
  memset(storage, 0, sizeof *storage);
  *item = storage;
  uint8_t kind =
      f->kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING;
  rc = convert_value(c, lua_gettop(c->L), kind, f, at, storage);
  if (rc) pop_top(c);
  return rc;
}

/* A member the walk does not look into (refused: read-only on create) is read all the same,
 * into throwaway structs: the unknown keys and shapes inside are refused as when the whole
 * table is read first. */
static int source_skipped(void *ud, const referrals_field *f, const referrals_value *v,
                          const path *at) {
  conv *c = ud;
  referrals_value deep;
  memset(&deep, 0, sizeof deep);
  c->shallow = 0;
  int rc = convert_value(c, STACK_INDEX(v->as.object), f->kind, f, at, &deep);
  c->shallow = 1;
  return rc;
}

static const referrals_encode_source lua_source = {source_object_open, pop_top, source_item_open,
                                                   pop_top, source_skipped};

/* ---- entries ----------------------------------------------------------------------------- */

/* The rules' problems of a walk, apart from the unknown keys, which come first. */
typedef struct checked {
  referrals_ctx *ctx;
  referrals_error *items;
  unsigned n;
} checked;

static void keep_checked(void *ud, const referrals_error *problem) {
  checked *k = ud;
  referrals_problems_keep(k->ctx->arena, &k->items, &k->n, problem);
}

/* The walk of a referral with its problems in the order a caller reads them: the unknown
 * keys the source kept in ctx->problems, then the rules' problems; a value that cannot be
 * read, alone. */
static int walk(conv *c, const referrals_encode_source *source, void *ud, const void *handle,
                int mode, referrals_buffer *out) {
  referrals_ctx *ctx = c->ctx;
  referrals_error first; /* read only after a problem filled it */
  checked later = {ctx, NULL, 0};
  referrals_checker ck = {.err = &first, .clear_first = 1, .sink = keep_checked, .ud = &later};
  ck.mode = mode >= 0 ? (referrals_mode)mode : REFERRALS_MODE_UPDATE;
  referrals_encode_walk w = {
      .source = source, .ud = ud, .check = mode >= 0 ? &ck : NULL, .out = out, .err = &ctx->err};
  size_t start = out ? out->len : 0;
  int rc = referrals_walk_object(&w, &referrals_type_referral, handle);
  if (w.stopped) {
    ctx->nproblems = 0; /* a value that cannot be read is reported alone */
  } else if (c->unknown) {
    if (ctx->nproblems) ctx->err = ctx->problems[0]; /* the first unknown key */
    for (unsigned i = 0; i < later.n; i++) referrals_ctx_keep_problem(ctx, &later.items[i]);
    rc = REFERRALS_E_VALIDATION;
  } else if (ck.rc) {
    ctx->err = first;
    ctx->problems = later.items;
    ctx->nproblems = later.n;
    rc = ck.rc;
  }
  if (rc == REFERRALS_OK && out && out->failed) rc = referrals_error_out_of_memory(&ctx->err);
  if (rc != REFERRALS_OK && out) out->len = start;
  return rc;
}

static void conv_init(conv *c, lua_State *L, referrals_ctx *ctx, int mode, int shallow) {
  luaL_checkstack(L, ctx->stack_need, "referrals: table too deep");
  memset(c, 0, sizeof *c);
  c->L = L;
  c->ctx = ctx;
  c->strict = c->collect = mode == REFERRALS_MODE_CREATE;
  c->shallow = shallow;
}

int referrals_walk_table(lua_State *L, referrals_ctx *ctx, int idx, int mode,
                         referrals_buffer *out) {
  conv c;
  conv_init(&c, L, ctx, mode, 1);
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  int top = lua_gettop(L);
  int rc = walk(&c, &lua_source, &c, HANDLE(idx), mode, out);
  lua_settop(L, top);
  return rc;
}

static void ignore_problem(void *ud, const referrals_error *problem) {
  (void)ud;
  (void)problem;
}

int referrals_walk_table_value(lua_State *L, referrals_ctx *ctx, int idx, const referrals_field *f,
                               int as_item, const char *path_text, referrals_buffer *out) {
  conv c;
  conv_init(&c, L, ctx, REFERRALS_MODE_UPDATE, 1);
  c.strict = 1; /* an unknown key is refused (unless on the extra list), the first alone */
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  int top = lua_gettop(L);
  const path root = {NULL, path_text, strlen(path_text), 0};
  uint8_t kind = f->kind;
  if (as_item)
    kind = kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING;
  referrals_value v;
  memset(&v, 0, sizeof v);
  int rc = convert_value(&c, idx, kind, f, &root, &v);
  if (rc == REFERRALS_OK) {
    /* The walk reads on after a rule's problem (the sink wants them all): a value that
     * cannot be read further in is the one reported, as for a whole table. */
    referrals_error first; /* read only after a problem filled it */
    referrals_checker ck = {
        .err = &first, .clear_first = 1, .sink = ignore_problem, .mode = REFERRALS_MODE_UPDATE};
    referrals_encode_walk w = {
        .source = &lua_source, .ud = &c, .check = &ck, .out = out, .err = &ctx->err};
    size_t start = out->len;
    rc = referrals_walk_value(&w, f, as_item, &v, path_text);
    if (!w.stopped && ck.rc) ctx->err = first;
    if (rc == REFERRALS_OK && out->failed) rc = referrals_error_out_of_memory(&ctx->err);
    if (rc != REFERRALS_OK) out->len = start;
  }
  lua_settop(L, top);
  return rc;
}

int referrals_walk_structs(lua_State *L, referrals_ctx *ctx, int idx, int mode,
                           referrals_buffer *out) {
  conv c;
  conv_init(&c, L, ctx, mode, 0);
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  void *obj = NULL;
  int rc = table_to_object(&c, idx, &referrals_type_referral, NULL, &obj);
  if (rc != REFERRALS_OK) {
    ctx->nproblems = 0; /* a value that cannot be converted is reported alone */
    return rc;
  }
  return walk(&c, &referrals_struct_source, NULL, obj, mode, out);
}
