#!/bin/sh
# Installs the rock offline (luarocks make --deps-mode=none) into a temporary tree for Lua
# 5.1, 5.3, 5.4 and LuaJIT, then loads the installed copy from outside the source tree,
# round-trips a referral with it and runs the installed `referrals validate`. Then installs
# with `cmake --install` into a temporary prefix, builds examples/c/create.c against it with
# pkg-config (referrals.pc) and runs the installed command. Prints one TAP line per check.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
request="$top/tests/fixtures/create-request.json"
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
    referrals-0.1.0-1.rockspec) >"$work/log-$v" 2>&1 &&
    (cd "$work" && eval "$(luarocks $args --tree "$tree" path)" && $lua -e '
      local r = require "referrals"
      assert(package.searchpath == nil or package.searchpath("referrals.core", package.cpath):find("tree", 1, true))
      local t = assert(r.decode([[{"type":"Shared","details":{"dealValue":5}}]]))
      assert(r.encode(t) == [[{"type":"Shared","details":{"dealValue":5}}]])
      print("loaded referrals " .. r._VERSION)' &&
      [ "$(command -v referrals)" = "$tree/bin/referrals" ] && referrals --version &&
      referrals validate - <"$request" | grep -qx '{"valid":true}') >>"$work/log-$v" 2>&1
  then
    echo "ok $n - luarocks make --deps-mode=none installs, loads and runs referrals on $v"
  else
    sed 's/^/# /' "$work/log-$v" | tail -20
    echo "not ok $n - luarocks make --deps-mode=none installs, loads and runs referrals on $v"
  fi
  unset LUAROCKS_CONFIG
done

# cmake --install into a prefix; a C program built from the installed headers, library and
# referrals.pc alone; the installed command, which names its own interpreter (lua5.4).
n=$((n + 1))
prefix="$work/prefix"
# The variables are the README's, word for word, with DIR the prefix.
if (cmake -S "$work/src" -B "$work/cmake" -DREFERRALS_LUA=5.4 -DREFERRALS_BUILD_TESTS=OFF \
  -DREFERRALS_INSTALL_SERVER=ON && cmake --build "$work/cmake" -j2 &&
  cmake --install "$work/cmake" --prefix "$prefix" &&
  DIR=$prefix &&
  export LUA_PATH="$DIR/share/lua/5.4/?.lua;$DIR/share/lua/5.4/?/init.lua;;" &&
  export LUA_CPATH="$DIR/lib/lua/5.4/?.so;;" &&
  export PATH="$DIR/bin:$PATH" &&
  cd "$work" &&
  cc -o "$work/create" "$top/examples/c/create.c" \
    $(PKG_CONFIG_PATH=$DIR/lib/pkgconfig pkg-config --cflags --libs referrals) &&
  "$work/create" | grep -q '"type":"Independent"' &&
  referrals --version && lua5.4 -e 'print(require("referrals")._VERSION)' &&
  referrals validate "$request" | grep -qx '{"valid":true}' &&
  [ "$(command -v referrals-fake-server)" = "$DIR/bin/referrals-fake-server" ] &&
  referrals-fake-server --help | grep -q "stand-in") >"$work/log-cmake" 2>&1; then
  echo "ok $n - cmake --install: the C example builds with pkg-config, referrals and the server run"
else
  sed 's/^/# /' "$work/log-cmake" | tail -20
  echo "not ok $n - cmake --install: the C example builds with pkg-config, referrals and the server run"
fi
echo "1..$n"
