rockspec_format = "3.0"
package = "referrals"
-- The version is the module's (referrals._VERSION, REFERRALS_VERSION in include/referrals.h,
-- which CMake and referrals.pc read); spec/version_spec.lua checks that they agree.
version = "0.1.0-1"
-- `luarocks make --deps-mode=none referrals-0.1.0-1.rockspec` in a checkout builds that checkout
-- and never fetches this URL; it names where a released source would come from.
source = {
  url = "git+file:///referrals",
  tag = "v0.1.0",
}
description = {
  summary = "Microsoft Partner Center Referrals (co-sell) API client: a C core with a Lua face",
  detailed = [[
Lua tables that mirror the Referral resource exactly as it travels on the wire; a C core
(libcurl) does the HTTP and the marshaling; helpers for the two-step shared referral.]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1, < 5.5",
  "lua-cjson", -- the CLI's generic JSON (Debian: lua-cjson; --deps-mode=none takes the system's)
  "luasystem", -- the wait between device-code polls (Debian: lua-system)
}
-- libcurl (and its headers) is found by CMake with pkg-config; on Debian:
-- apt-get install libcurl4-openssl-dev
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    LUA_INCDIR = "$(LUA_INCDIR)",
    REFERRALS_CMOD_DIR = "$(LIBDIR)",
    REFERRALS_LMOD_DIR = "$(LUADIR)",
    REFERRALS_BUILD_TOOLS = "OFF",
    REFERRALS_BUILD_TESTS = "OFF",
    REFERRALS_INSTALL_DEV = "OFF", -- the C headers and library are for CMake installs
    REFERRALS_INSTALL_CLI = "OFF", -- install.bin below: LuaRocks wraps it for its tree
  },
  install = {
    bin = { referrals = "bin/referrals" },
  },
}
