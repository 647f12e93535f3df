/*
 * json_value.c: any Lua value <-> JSON text, for what the schema does not describe: members
 * it does not know, JSON-kind members (incentiveLevel, lastRunId) and members that arrived
 * in an unexpected shape. The schema-driven walks handle everything else.
 *
 * An empty JSON array decodes to an empty table with referrals.array_mt, so that it encodes
 * back as [] and not {} (an empty table has no shape of its own).
 */
#include <string.h>

#include "json_text.h"
#include "json_scan.h"
#include "binding.h"

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
  if (rc == REFERRALS_OK && b->failed) rc = referrals_error_out_of_memory(err);
  return rc;
}

/* ---- JSON -> Lua ------------------------------------------------------------------------ */

void referrals_push_json_string(lua_State *L, const referrals_json_string *str) {
  if (!str->escaped) {
    lua_pushlstring(L, str->raw, str->len);
    return;
  }
  /* The scratch is a userdata (Lua 5.1 has no luaL_buffinitsize): Lua owns its memory, so
   * a memory error here leaks nothing. */
  char *out = lua_newuserdata(L, str->len ? str->len : 1);
  lua_pushlstring(L, out, referrals_json_unescape(str, out));
  lua_remove(L, -2);
}

/* Steps to member `index` of an open object and pushes its key: as referrals_scan_member. */
static int push_key(lua_State *L, referrals_scanner *s, size_t index) {
  referrals_json_string key;
  int r = referrals_scan_member(s, index, NULL, 0, &key);
  if (r > 0) referrals_push_json_string(L, &key);
  return r;
}

/* Pushes the value at the scanner (in a container at nesting depth). Lua errors (memory)
 * may unwind through here: the scanner holds no memory of its own. */
static int push_value(lua_State *L, referrals_scanner *s, int depth) {
  int c = referrals_scan_peek(s);
  switch (c) {
    case '"': {
      referrals_json_string str;
      if (referrals_scan_string(s, &str)) return -1;
      referrals_push_json_string(L, &str);
      return 0;
    }
    case '{':
    case '[':
      if (referrals_scan_open(s, depth + 1)) return -1;
      luaL_checkstack(L, 4, "referrals: JSON too deep");
      lua_newtable(L);
      for (size_t i = 0;; i++) {
        int r = c == '{' ? push_key(L, s, i) : referrals_scan_item(s, i);
        if (r < 0) return -1;
        if (r == 0) {
          if (c == '[' && i == 0) { /* [] stays an array when written back */
            luaL_getmetatable(L, ARRAY_MT);
            lua_setmetatable(L, -2);
          }
          return 0;
        }
        if (push_value(L, s, depth + 1)) return -1;
        if (c == '{')
          lua_rawset(L, -3);
        else
          lua_rawseti(L, -2, (lua_Integer)i + 1);
      }
    case 't':
    case 'f':
    case 'n': {
      int b;
      if (referrals_scan_literal(s, &b)) return -1;
      if (b < 0)
        lua_pushlightuserdata(L, NULL);
      else
        lua_pushboolean(L, b);
      return 0;
    }
    default: {
      referrals_value v;
      if (!(c == '-' || (c >= '0' && c <= '9'))) return referrals_scan_skip(s, depth);
      if (referrals_scan_number(s, &v)) return -1;
#if REFERRALS_HAS_INTEGERS
      if (v.is_integer)
        lua_pushinteger(L, (lua_Integer)v.as.integer);
      else
#endif
        lua_pushnumber(L, v.is_integer ? (lua_Number)v.as.integer : (lua_Number)v.as.number);
      return 0;
    }
  }
}

int referrals_push_json(lua_State *L, const char *json, size_t len, referrals_error *err) {
  referrals_scanner s;
  int top = lua_gettop(L);
  referrals_error_clear(err);
  if (referrals_scan_init(&s, json, len, err) >= 0 && push_value(L, &s, 0) == 0 &&
      referrals_scan_finish(&s) == 0) {
    return REFERRALS_OK;
  }
  lua_settop(L, top);
  return (int)err->category;
}

void referrals_json_open(lua_State *L, int module) {
  luaL_newmetatable(L, ARRAY_MT);
  lua_setfield(L, module, "array_mt");
}
