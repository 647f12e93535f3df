/*
 * compat.h: the few Lua C API differences between 5.1/LuaJIT, 5.2, 5.3 and 5.4 that
 * the binding meets, bridged in one place.
 */
#ifndef REFERRALS_LUA_COMPAT_H
#define REFERRALS_LUA_COMPAT_H

#include <lauxlib.h>
#include <lua.h>

#if LUA_VERSION_NUM < 502
#define lua_rawlen(L, i) lua_objlen((L), (i))
static inline void referrals_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name; l++) {
    for (int i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
#define luaL_setfuncs referrals_setfuncs
#endif

#if LUA_VERSION_NUM >= 503
#define REFERRALS_HAS_INTEGERS 1
#else
#define REFERRALS_HAS_INTEGERS 0
#define lua_isinteger(L, i) 0
#endif

#endif
