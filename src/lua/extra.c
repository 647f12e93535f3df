/*
 * extra.c: opts.extra (issue 18), the members the schema does not know that a caller sends
 * on purpose: what the API gained before this schema did (Services co-sell's partner role
 * and solution area, marketplace and registration members). The list is a set of field
 * paths in the syntax of validation errors ("partnerRole", "details.solutionArea"), kept
 * normalized -- "/" and "." alike, array items without their index -- so that a key met
 * while converting (customerProfile.team[2].x) and a PATCH path (/customerProfile/team/0/x)
 * find the same entry. The set of a call (the client's list and the call's) is a table on
 * the stack, ctx->extra; lua_values.c and patch.c ask it before refusing a key, so a
 * member a later schema learns is simply validated again.
 */
#include <string.h>

#include "binding.h"

static int index_segment(const char *s, size_t n) {
  if (n == 1 && *s == '-') return 1;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return n > 0;
}

/* Pushes path[0..len) normalized: segments split at "." or "/", "[...]" dropped, empty and
 * index segments ("0", "-") left out, joined by ".". */
static void push_normalized(lua_State *L, const char *path, size_t len) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int first = 1;
  const char *p = path, *end = path + len;
  while (p < end) {
    const char *seg = p;
    while (p < end && *p != '.' && *p != '/' && *p != '[') p++;
    size_t n = (size_t)(p - seg);
    while (p < end && *p == '[') { /* an index: [2] or [] */
      while (p < end && *p != ']') p++;
      if (p < end) p++;
    }
    if (p < end && (*p == '.' || *p == '/')) p++;
    if (n == 0 || index_segment(seg, n)) continue;
    if (!first) luaL_addchar(&b, '.');
    luaL_addlstring(&b, seg, n);
    first = 0;
  }
  luaL_pushresult(&b);
}

/* set[normalized] = true for each string of the list at idx; anything else raises. */
static void add_list(lua_State *L, int set, int list, int arg) {
  if (lua_type(L, list) != LUA_TTABLE)
    luaL_argerror(L, arg, "opts.extra: a list of field paths (strings) expected");
  size_t n = lua_rawlen(L, list);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, list, (int)i);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_argerror(L, arg,
                    lua_pushfstring(L, "opts.extra[%d]: a field path (string) expected, got %s",
                                    (int)i, luaL_typename(L, -1)));
    size_t len;
    const char *path = lua_tolstring(L, -1, &len);
    push_normalized(L, path, len);
    lua_pushboolean(L, 1);
    lua_rawset(L, set);
    lua_pop(L, 1);
  }
}

int referrals_extra_push(lua_State *L, int base, int opts, int arg) {
  int list = 0;
  if (opts && lua_type(L, opts) == LUA_TTABLE) {
    lua_pushliteral(L, "extra");
    lua_rawget(L, opts);
    if (!lua_isnil(L, -1)) list = lua_gettop(L);
  }
  if (!list) {
    if (opts && lua_type(L, opts) == LUA_TTABLE) lua_pop(L, 1);
    if (base && lua_istable(L, base)) {
      lua_pushvalue(L, base); /* only read: the client's own set serves the call */
      return lua_gettop(L);
    }
    lua_pushnil(L);
    return 0;
  }
  lua_newtable(L);
  int set = lua_gettop(L);
  if (base && lua_istable(L, base)) {
    lua_pushnil(L);
    while (lua_next(L, base)) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, set);
    }
  }
  add_list(L, set, list, arg);
  lua_remove(L, list); /* the set takes the list's slot */
  return set - 1;
}

int referrals_extra_allows(lua_State *L, const referrals_ctx *ctx, const char *path, size_t len) {
  if (!ctx->extra) return 0;
  push_normalized(L, path, len);
  lua_rawget(L, ctx->extra);
  int allowed = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return allowed;
}
