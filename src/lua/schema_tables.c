/*
 * schema_tables.c: the descriptors as Lua tables, built once at module load. For each type,
 * one table maps field index -> interned key string and key string -> field index, so
 * converting a struct to a table pushes keys with lua_rawgeti (no hashing of new strings)
 * (a table to a struct finds a key's field in the C key index below). Also the enum
 * tables of the module (referrals.Status.Active == "Active"...) and referrals.schema.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes_equal.h"
#include "binding.h"

int referrals_schema_build(lua_State *L) {
  lua_createtable(L, (int)referrals_all_types_count, 0);
  for (unsigned i = 0; i < referrals_all_types_count; i++) {
    const referrals_type *t = referrals_all_types[i];
    lua_createtable(L, (int)t->nfields, (int)t->nfields);
    for (unsigned f = 0; f < t->nfields; f++) {
      lua_pushlstring(L, t->fields[f].key, t->fields[f].key_len);
      lua_pushvalue(L, -1);
      lua_rawseti(L, -3, (int)f + 1);
      lua_pushinteger(L, (lua_Integer)f + 1);
      lua_rawset(L, -3);
    }
    lua_rawseti(L, -2, (int)t->index + 1);
  }
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* ---- key index ----------------------------------------------------------------------
 * Per type, an open-addressed table of (field index + 1), 0 for an empty slot, at least
 * twice the fields in size; a probe ends at an empty slot. Built from the descriptors, so
 * it lists no field by hand.
 *
 * A second table of the same shape is keyed by the address of the key's Lua string. Lua
 * interns short strings (all the schema's keys are short), so a key of a script's table is
 * the very string the schema tables hold, and one pointer compare finds its field without
 * reading its bytes (issue 5: 70 -> 15 instructions a member). A key not found so (a long
 * string, an unknown key) is looked up by its bytes. */
typedef struct key_table {
  uint32_t offset; /* of the type's slots in referrals_key_index.slots */
  uint32_t mask;   /* slots - 1 */
} key_table;

struct referrals_key_index {
  key_table *tables; /* [type.index] */
  uint8_t *slots;
  const char **interned;   /* [slot]: a Lua key string's address, NULL when empty */
  uint8_t *interned_field; /* [slot]: its field index + 1 */
};

static uint32_t address_hash(const char *p) {
  uint64_t a = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15u;
  return (uint32_t)(a >> 40);
}

/* Cheap and good enough: collisions cost a probe, never a wrong answer. len > 0. */
static uint32_t key_hash(const char *k, size_t len) {
  uint32_t h = (uint32_t)len;
  h = h * 31u + (unsigned char)k[0];
  h = h * 31u + (unsigned char)k[len / 2];
  h = h * 31u + (unsigned char)k[len - 1];
  return h ^ (h >> 5);
}

struct referrals_key_index *referrals_key_index_new(void) {
  size_t nslots = 0;
  for (unsigned i = 0; i < referrals_all_types_count; i++) {
    uint32_t size = 4;
    while (size < 2 * referrals_all_types[i]->nfields) size *= 2;
    nslots += size;
  }
  size_t tables_size = referrals_all_types_count * sizeof(key_table);
  struct referrals_key_index *ix =
      calloc(1, sizeof *ix + tables_size + nslots * sizeof(char *) + 2 * nslots);
  if (!ix) return NULL;
  ix->tables = (key_table *)(ix + 1);
  ix->interned = (const char **)(void *)((char *)ix->tables + tables_size);
  ix->slots = (uint8_t *)(ix->interned + nslots);
  ix->interned_field = ix->slots + nslots;
  uint32_t offset = 0;
  for (unsigned i = 0; i < referrals_all_types_count; i++) {
    const referrals_type *t = referrals_all_types[i];
    uint32_t size = 4;
    while (size < 2 * t->nfields) size *= 2;
    key_table *kt = &ix->tables[t->index];
    kt->offset = offset;
    kt->mask = size - 1;
    for (unsigned f = 0; f < t->nfields; f++) {
      uint32_t h = key_hash(t->fields[f].key, t->fields[f].key_len) & kt->mask;
      while (ix->slots[offset + h]) h = (h + 1) & kt->mask;
      ix->slots[offset + h] = (uint8_t)(f + 1);
    }
    offset += size;
  }
  return ix;
}

void referrals_key_index_free(struct referrals_key_index *ix) { free(ix); }

void referrals_key_index_intern(struct referrals_key_index *ix, lua_State *L, int schema) {
  for (unsigned i = 0; i < referrals_all_types_count; i++) {
    const referrals_type *t = referrals_all_types[i];
    const key_table *kt = &ix->tables[t->index];
    lua_rawgeti(L, schema, (int)t->index + 1);
    for (unsigned f = 0; f < t->nfields; f++) {
      lua_rawgeti(L, -1, (int)f + 1);
      const char *key = lua_tostring(L, -1); /* stays alive: the schema table holds it */
      lua_pop(L, 1);
      uint32_t h = address_hash(key) & kt->mask;
      while (ix->interned[kt->offset + h]) h = (h + 1) & kt->mask;
      ix->interned[kt->offset + h] = key;
      ix->interned_field[kt->offset + h] = (uint8_t)(f + 1);
    }
    lua_pop(L, 1);
  }
}

const referrals_field *referrals_key_index_find(const struct referrals_key_index *ix,
                                                const referrals_type *t, const char *key,
                                                size_t len) {
  if (len == 0) return NULL; /* no wire key is empty */
  const key_table *kt = &ix->tables[t->index];
  const char *const *interned = ix->interned + kt->offset;
  for (uint32_t h = address_hash(key) & kt->mask; interned[h]; h = (h + 1) & kt->mask)
    if (interned[h] == key) return &t->fields[ix->interned_field[kt->offset + h] - 1];
  const uint8_t *slots = ix->slots + kt->offset;
  for (uint32_t h = key_hash(key, len) & kt->mask; slots[h]; h = (h + 1) & kt->mask) {
    const referrals_field *f = &t->fields[slots[h] - 1];
    if (f->key_len == len && referrals_bytes_equal(f->key, key, len)) return f;
  }
  return NULL;
}

void referrals_schema_push(lua_State *L, referrals_ctx *ctx) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->schema_ref);
}

static const char *const kind_names[] = {"string", "datetime",     "bool",
                                         "number", "enum",         "object",
                                         "json",   "object_array", "string_array"};

/* referrals.schema: the descriptors as plain data, for scripts and tools that need to know
 * the resource (generators, documentation, the CLI) without listing its fields again.
 * schema.types.Referral.fields[i] = { key, kind, type = "CustomerProfile", enum = "Status",
 * required, read_only, patchable }; schema.enums.Status = { "None", "New", ... }. */
static void push_schema_description(lua_State *L) {
  lua_createtable(L, 0, 2);
  lua_createtable(L, 0, (int)referrals_all_types_count);
  for (unsigned i = 0; i < referrals_all_types_count; i++) {
    const referrals_type *t = referrals_all_types[i];
    lua_createtable(L, 0, 2);
    lua_pushstring(L, t->wire_name);
    lua_setfield(L, -2, "name");
    lua_createtable(L, (int)t->nfields, 0);
    for (unsigned f = 0; f < t->nfields; f++) {
      const referrals_field *fd = &t->fields[f];
      lua_createtable(L, 0, 7);
      lua_pushlstring(L, fd->key, fd->key_len);
      lua_setfield(L, -2, "key");
      lua_pushstring(L, kind_names[fd->kind]);
      lua_setfield(L, -2, "kind");
      if (fd->type) {
        lua_pushstring(L, fd->type->wire_name);
        lua_setfield(L, -2, "type");
      }
      if (fd->enumeration) {
        lua_pushstring(L, fd->enumeration->lua_name);
        lua_setfield(L, -2, "enum");
      }
      lua_pushboolean(L, fd->flags & REFERRALS_F_REQUIRED);
      lua_setfield(L, -2, "required");
      lua_pushboolean(L, fd->flags & REFERRALS_F_RO);
      lua_setfield(L, -2, "read_only");
      lua_pushboolean(L, fd->flags & REFERRALS_F_PATCH);
      lua_setfield(L, -2, "patchable");
      lua_rawseti(L, -2, (int)f + 1);
    }
    lua_setfield(L, -2, "fields");
    lua_setfield(L, -2, t->wire_name);
  }
  lua_setfield(L, -2, "types");
  lua_createtable(L, 0, (int)referrals_all_enums_count);
  for (unsigned i = 0; i < referrals_all_enums_count; i++) {
    const referrals_enum *e = referrals_all_enums[i];
    lua_createtable(L, (int)e->count, 0);
    for (unsigned v = 0; v < e->count; v++) {
      lua_pushstring(L, e->values[v]);
      lua_rawseti(L, -2, (int)v + 1);
    }
    lua_setfield(L, -2, e->lua_name);
  }
  lua_setfield(L, -2, "enums");
}

/* __index of an enum table (upvalue: the enum): a name the enum does not list is a mistake,
 * never a silent nil (referrals.Type.shared would become "type: required on create"). */
static int unknown_enum_value(lua_State *L) {
  const referrals_enum *e = lua_touserdata(L, lua_upvalueindex(1));
  size_t len = 0;
  const char *name = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &len) : NULL;
  const char *near = name ? referrals_suggest_value(e, name, len) : NULL;
  if (!name) return luaL_error(L, "unknown value (a %s) of %s", luaL_typename(L, 2), e->lua_name);
  if (near)
    return luaL_error(L, "unknown value \"%s\" of %s; did you mean \"%s\"?", name, e->lua_name,
                      near);
  return luaL_error(L, "unknown value \"%s\" of %s", name, e->lua_name);
}

void referrals_schema_open(lua_State *L, int module) {
  push_schema_description(L);
  lua_setfield(L, module, "schema");
  for (unsigned i = 0; i < referrals_all_enums_count; i++) {
    const referrals_enum *e = referrals_all_enums[i];
    lua_createtable(L, 0, (int)e->count);
    for (unsigned v = 0; v < e->count; v++) {
      lua_pushstring(L, e->values[v]);
      lua_setfield(L, -2, e->values[v]);
    }
    lua_createtable(L, 0, 1);
    lua_pushlightuserdata(L, (void *)e);
    lua_pushcclosure(L, unknown_enum_value, 1);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setfield(L, module, e->lua_name);
  }
}
