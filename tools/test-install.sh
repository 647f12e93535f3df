#!/bin/sh
# Installs the rock offline (luarocks make --deps-mode=none) into a temporary tree for Lua
# 5.1, 5.3, 5.4 and LuaJIT, then loads the installed copy from outside the source tree and
# round-trips a referral with it. Prints one TAP line per Lua.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
for v in 5.1 5.3 5.4 luajit; do
  n=$((n + 1))
  tree="$work/tree-$v"
  lua=lua$v
  args="--lua-version=$v"
  if [ "$v" = luajit ]; then
    # LuaJIT speaks the 5.1 ABI; point LuaRocks at its interpreter and headers.
    lua=luajit
    cat >"$work/luajit-config.lua" <<CFG
variables = { LUA = "/usr/bin/luajit", LUA_INCDIR = "/usr/include/luajit-2.1" }
CFG
    args="--lua-version=5.1"
    export LUAROCKS_CONFIG="$work/luajit-config.lua"
  fi
  # The rock builds in a copy, so the source tree's build/ is not touched.
  rm -rf "$work/src" && mkdir "$work/src"
  (cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/src" 2>/dev/null ||
    cp -r "$top/." "$work/src")
  rm -rf "$work/src/build"
  if (cd "$work/src" && luarocks $args make --tree="$tree" --deps-mode=none \
    referrals-scm-1.rockspec) >"$work/log-$v" 2>&1 &&
    (cd "$work" && eval "$(luarocks $args path --tree="$tree")" && $lua -e '
      local r = require "referrals"
      assert(package.searchpath == nil or package.searchpath("referrals.core", package.cpath):find("tree", 1, true))
      local t = assert(r.decode([[{"type":"Shared","details":{"dealValue":5}}]]))
      assert(r.encode(t) == [[{"type":"Shared","details":{"dealValue":5}}]])
      print("loaded referrals " .. r.VERSION)') >>"$work/log-$v" 2>&1; then
    echo "ok $n - luarocks make --deps-mode=none installs and loads on $v"
  else
    sed 's/^/# /' "$work/log-$v" | tail -20
    echo "not ok $n - luarocks make --deps-mode=none installs and loads on $v"
  fi
  unset LUAROCKS_CONFIG
done
echo "1..$n"
