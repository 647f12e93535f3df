/*
 * json_to_table.c: the Lua sink of the decode walk (src/core/decode_sink.h): a referral's
 * JSON text becomes Lua tables as it is scanned, with no structs in between (issue 16). The
 * walk decides what every member is and refuses what the struct decoder refuses; this file
 * only builds.
 *
 * Keys of known members come from the schema tables (lua_rawgeti of an interned string).
 * An object's table is created at the size the last object of its type had, an array's at
 * the length the last array of its items' type had (the service sends the same shapes
 * every time), so that most are never resized. Items are set as they come: a long array
 * never piles up on the stack (Lua 5.1 and LuaJIT have 8000 slots). Absent members are left out,
 * null ones are referrals.null, raw ones (unknown members, JSON kind, unexpected shapes) are
 * decoded generically (json_value.c).
 *
 * A Lua error (memory, stack) may unwind out of the middle of the walk: the walk holds no
 * memory, and an escaped string is unescaped in a userdata (json_value.c).
 */
#include "binding.h"
#include "decode_sink.h"

typedef struct frame {
  int table; /* stack index of the object's or array's table */
  int keys;  /* stack index of the object's key table */
  const referrals_type *t;
  unsigned count; /* members set so far */
} frame;

typedef struct builder {
  lua_State *L;
  referrals_ctx *ctx;
  int schema; /* stack index of the schema tables */
  frame frames[REFERRALS_MAX_DEPTH + 1];
  int depth;
} builder;

/* Before a value: its key (a member). Inline, like close_slot: called around every value,
 * a call of each cost a 201's decode 0.9k instructions (issue 16). */
static inline void open_slot(builder *b, const referrals_slot *at) {
  lua_State *L = b->L;
  const frame *top = &b->frames[b->depth - 1];
  switch (at->where) {
    case REFERRALS_AT_MEMBER:
      lua_rawgeti(L, top->keys, (int)(at->field - top->t->fields) + 1);
      break;
    case REFERRALS_AT_UNKNOWN: referrals_push_json_string(L, at->key); break;
    default: break; /* an item is set by its index; the root stays on the stack */
  }
}

/* After a value: a member or an item is set; the root stays where it is. */
static inline void close_slot(builder *b, const referrals_slot *at) {
  if (at->where == REFERRALS_AT_ROOT) return;
  frame *top = &b->frames[b->depth - 1];
  if (at->where == REFERRALS_AT_ITEM)
    lua_rawseti(b->L, top->table, (int)at->index + 1);
  else
    lua_rawset(b->L, top->table);
  top->count++;
}

/* The size hint of an array of field f's items: by the items' type, one for strings. */
static uint8_t *array_size(builder *b, const referrals_field *f) {
  return &b->ctx->array_size[f->kind == REFERRALS_KIND_OBJECT_ARRAY ? f->type->index + 1 : 0];
}

static int object_begin(void *ud, const referrals_slot *at, const referrals_type *t) {
  builder *b = ud;
  lua_State *L = b->L;
  if (at->where != REFERRALS_AT_ROOT) open_slot(b, at);
  lua_createtable(L, 0, b->ctx->table_size[t->index]);
  lua_rawgeti(L, b->schema, (int)t->index + 1);
  frame *f = &b->frames[b->depth++];
  f->keys = lua_gettop(L);
  f->table = f->keys - 1;
  f->t = t;
  f->count = 0;
  return 0;
}

static int object_end(void *ud, const referrals_slot *at, const referrals_type *t) {
  builder *b = ud;
  lua_pop(b->L, 1); /* the key table */
  frame *f = &b->frames[--b->depth];
  b->ctx->table_size[t->index] = (uint8_t)(f->count < UINT8_MAX ? f->count : UINT8_MAX);
  if (at->where != REFERRALS_AT_ROOT) close_slot(b, at);
  return 0;
}

static int array_begin(void *ud, const referrals_slot *at) {
  builder *b = ud;
  open_slot(b, at);
  lua_createtable(b->L, *array_size(b, at->field), 0);
  frame *f = &b->frames[b->depth++];
  f->table = lua_gettop(b->L);
  f->count = 0;
  return 0;
}

static int array_end(void *ud, const referrals_slot *at, size_t n) {
  builder *b = ud;
  b->depth--;
  *array_size(b, at->field) = (uint8_t)(n < UINT8_MAX ? n : UINT8_MAX);
  close_slot(b, at);
  return 0;
}

static int string(void *ud, const referrals_slot *at, const referrals_json_string *s) {
  builder *b = ud;
  open_slot(b, at);
  referrals_push_json_string(b->L, s);
  close_slot(b, at);
  return 0;
}

static int scalar(void *ud, const referrals_slot *at, const referrals_value *v) {
  builder *b = ud;
  lua_State *L = b->L;
  open_slot(b, at);
  if (v->state == REFERRALS_NULL)
    lua_pushlightuserdata(L, NULL);
  else if (at->kind == REFERRALS_KIND_BOOL)
    lua_pushboolean(L, v->as.boolean);
#if REFERRALS_HAS_INTEGERS
  else if (v->is_integer)
    lua_pushinteger(L, (lua_Integer)v->as.integer);
#endif
  else
    lua_pushnumber(L, v->is_integer ? (lua_Number)v->as.integer : (lua_Number)v->as.number);
  close_slot(b, at);
  return 0;
}

static int raw(void *ud, const referrals_slot *at, const char *json, size_t len, uint8_t state) {
  (void)state;
  builder *b = ud;
  open_slot(b, at);
  referrals_error err;
  /* The walk checked the text: this cannot fail but for a Lua error, which unwinds. */
  if (referrals_push_json(b->L, json, len, &err) != REFERRALS_OK) lua_pushnil(b->L);
  close_slot(b, at);
  return 0;
}

static const referrals_decode_sink table_sink = {object_begin, object_end, array_begin, array_end,
                                                 string,       scalar,     raw};

int referrals_push_decoded(lua_State *L, referrals_ctx *ctx, const referrals_type *t,
                           const char *json, size_t len) {
  luaL_checkstack(L, ctx->stack_need, "referrals: structure too deep");
  int base = lua_gettop(L);
  builder b;
  b.L = L;
  b.ctx = ctx;
  b.depth = 0;
  referrals_schema_push(L, ctx);
  b.schema = lua_gettop(L);
  int rc = referrals_decode_to(t, json, len, &table_sink, &b, &ctx->err);
  if (rc != REFERRALS_OK) {
    lua_settop(L, base);
    return rc;
  }
  lua_remove(L, b.schema);
  return REFERRALS_OK;
}
