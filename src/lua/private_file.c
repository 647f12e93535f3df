/* private_file.c: the file operations the token cache (lua/referrals/auth.lua) needs and
 * plain Lua lacks: a file's permission bits, and a folder and a file that only their owner
 * can read, the file written atomically. Debian 12's lua-posix has no Lua 5.4 build, and lua-filesystem has no chmod,
 * so these are the binding's (POSIX only). referrals.auth takes them off the module table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binding.h"

static int fail(lua_State *L, const char *what, const char *path, int err) {
  lua_pushnil(L);
  lua_pushfstring(L, "%s %s: %s", what, path, strerror(err));
  return 2;
}

/* core.file_mode(path) -> the permission bits (a number), or nil, message (e.g. absent). */
static int l_file_mode(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  if (stat(path, &st) != 0) return fail(L, "cannot read the mode of", path, errno);
  lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
  return 1;
}

/* core.write_private(path, text) -> true | nil, message: writes text to a new temporary file
 * beside path (mkstemp: mode 0600, owner only), flushes it to disk and renames it over path,
 * so a reader sees the old file or the new one, never half of it, and never a readable one. */
static int l_write_private(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  lua_pushfstring(L, "%s.XXXXXX", path);
  char tmp[4096];
  size_t n;
  const char *pattern = lua_tolstring(L, -1, &n);
  if (n >= sizeof tmp) return fail(L, "path too long:", path, ENAMETOOLONG);
  memcpy(tmp, pattern, n + 1);
  int fd = mkstemp(tmp);
  if (fd < 0) return fail(L, "cannot create a file beside", path, errno);
  size_t done = 0;
  int err = 0;
  while (done < len && !err) {
    ssize_t w = write(fd, text + done, len - done);
    if (w < 0 && errno != EINTR) err = errno;
    if (w > 0) done += (size_t)w;
  }
  if (!err && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && !err) err = errno;
  if (!err && rename(tmp, path) != 0) err = errno;
  if (err) {
    unlink(tmp);
    return fail(L, "cannot write", path, err);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* core.make_private_dir(path) -> true | nil, message: mkdir with mode 0700 (an existing
 * folder is fine: the cache checks its mode). */
static int l_make_private_dir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (mkdir(path, 0700) != 0 && errno != EEXIST) return fail(L, "cannot create", path, errno);
  lua_pushboolean(L, 1);
  return 1;
}

void referrals_private_file_open(lua_State *L, int module) {
  lua_pushcfunction(L, l_file_mode);
  lua_setfield(L, module, "file_mode");
  lua_pushcfunction(L, l_write_private);
  lua_setfield(L, module, "write_private");
  lua_pushcfunction(L, l_make_private_dir);
  lua_setfield(L, module, "make_private_dir");
}
