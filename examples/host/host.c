/*
 * examples/host/host.c: a C program that embeds Lua and runs an automation script with the
 * module linked in statically: referrals.core is preloaded (package.preload), the Lua
 * facade comes from the directory given on the command line.
 *   referrals-host LUA_DIR SCRIPT [ARGS...]
 */
#include <stdio.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#ifndef LUA_OK
#define LUA_OK 0 /* Lua 5.1 and LuaJIT name no success status; theirs is 0 too */
#endif

int luaopen_referrals_core(lua_State *L);

static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    fprintf(stderr, "referrals-host: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  return status;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s LUA_DIR SCRIPT [ARGS...]\n", argv[0]);
    return 2;
  }
  lua_State *L = luaL_newstate();
  if (!L) return 1;
  luaL_openlibs(L);

  /* package.preload["referrals.core"] = luaopen_referrals_core */
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_referrals_core);
  lua_setfield(L, -2, "referrals.core");
  lua_pop(L, 1);
  /* package.path = LUA_DIR/?.lua;LUA_DIR/?/init.lua;<default> */
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", argv[1], argv[1], lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 2);

  /* arg = { [0] = SCRIPT, ARGS... } */
  lua_createtable(L, argc - 3, 1);
  for (int i = 2; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 2);
  }
  lua_setglobal(L, "arg");

  int status = report(L, luaL_loadfile(L, argv[2]));
  if (status == LUA_OK) status = report(L, lua_pcall(L, 0, 0, 0));
  lua_close(L);
  return status == LUA_OK ? 0 : 1;
}
