/*
 * struct_to_table.c: C struct -> fresh Lua table, one generic walk over the descriptors. Tables
 * are created at their final size (lua_createtable with the count of present members) and
 * keys come from the schema tables (lua_rawgeti of an interned string), which halves the
 * cost of building the documented response compared with lua_setfield.
 *
 * Absent members are left out, null ones are referrals.null, raw ones (unknown members, JSON
 * kind, unexpected shapes) are decoded generically.
 */
#include "binding.h"

typedef struct pusher {
  lua_State *L;
  int schema; /* stack index of the schema tables */
} pusher;

static void push_object(pusher *p, const referrals_type *t, const void *obj);

static void push_raw(pusher *p, const char *json, size_t len) {
  referrals_error err;
  referrals_error_clear(&err);
  /* Raw text comes from our own decoder or from a C caller; if a C caller stored bad JSON,
   * the member reads as nil rather than failing the whole referral. */
  if (referrals_push_json(p->L, json, len, &err) != 0) lua_pushnil(p->L);
}

static void push_value(pusher *p, const referrals_field *f, uint8_t kind,
                       const referrals_value *v) {
  lua_State *L = p->L;
  if (v->state == REFERRALS_NULL) {
    lua_pushlightuserdata(L, NULL);
    return;
  }
  if (v->state == REFERRALS_RAW || kind == REFERRALS_KIND_JSON) {
    push_raw(p, v->as.string, v->len);
    return;
  }
  switch (kind) {
    case REFERRALS_KIND_STRING:
    case REFERRALS_KIND_DATETIME:
    case REFERRALS_KIND_ENUM: lua_pushlstring(L, v->as.string, v->len); return;
    case REFERRALS_KIND_BOOL: lua_pushboolean(L, v->as.boolean); return;
    case REFERRALS_KIND_NUMBER:
#if REFERRALS_HAS_INTEGERS
      if (v->is_integer) {
        lua_pushinteger(L, (lua_Integer)v->as.integer);
        return;
      }
#endif
      lua_pushnumber(L, v->is_integer ? (lua_Number)v->as.integer : (lua_Number)v->as.number);
      return;
    case REFERRALS_KIND_OBJECT: push_object(p, f->type, v->as.object); return;
    default: { /* OBJECT_ARRAY, STRING_ARRAY */
      uint8_t item_kind =
          kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING;
      lua_createtable(L, (int)v->len, 0);
      for (uint32_t i = 0; i < v->len; i++) {
        push_value(p, f, item_kind, &v->as.items[i]);
        lua_rawseti(L, -2, (int)i + 1);
      }
      return;
    }
  }
}

static void push_object(pusher *p, const referrals_type *t, const void *obj) {
  lua_State *L = p->L;
  int present = 0;
  for (unsigned i = 0; i < t->nfields; i++)
    present += REFERRALS_FIELD_VALUE(obj, t, &t->fields[i])->state != REFERRALS_ABSENT;
  lua_createtable(L, 0, present);
  lua_rawgeti(L, p->schema, (int)t->index + 1);
  for (unsigned i = 0; i < t->nfields; i++) {
    const referrals_field *f = &t->fields[i];
    const referrals_value *v = REFERRALS_FIELD_VALUE(obj, t, f);
    if (v->state == REFERRALS_ABSENT) continue;
    lua_rawgeti(L, -1, (int)i + 1);
    push_value(p, f, f->kind, v);
    lua_rawset(L, -4);
  }
  lua_pop(L, 1);
  for (const referrals_unknown *u = *REFERRALS_UNKNOWN(obj, t); u; u = u->next) {
    lua_pushlstring(L, u->key, u->key_len);
    push_raw(p, u->json, u->json_len);
    lua_rawset(L, -3);
  }
}

void referrals_push_struct(lua_State *L, referrals_ctx *ctx, const referrals_type *t,
                           const void *obj) {
  luaL_checkstack(L, ctx->stack_need, "referrals: structure too deep");
  pusher p;
  p.L = L;
  referrals_schema_push(L, ctx);
  p.schema = lua_gettop(L);
  push_object(&p, t, obj);
  lua_remove(L, p.schema);
}
