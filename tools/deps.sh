#!/bin/sh
# Installs the Debian packages one purpose needs, or, when not root, prints the exact apt-get
# line and stops. Quiet and quick when everything is already there.
#   tools/deps.sh [runtime|demo|docs|test|bench]...     (no argument: test)
#     runtime  build and use the module on Lua 5.4 (what `luarocks make` and CMake need)
#     demo     runtime + the bundled local Partner API server (make demo)
#     docs     LDoc, for the reference (make docs)
#     test     everything make test runs: five interpreters, sanitizers, valgrind, fuzzing
#     bench    test + nginx and Lua-cURL for the comparison rows, python3 for free ports (make bench)
set -e
RUNTIME="cmake make gcc pkg-config libcurl4-openssl-dev libssl-dev lua5.4 liblua5.4-dev lua-cjson lua-system"
DEMO="$RUNTIME libmicrohttpd-dev libyajl-dev"
DOCS="lua-ldoc lua-discount lua-markdown"
TEST="$DEMO $DOCS clang libclang-rt-14-dev lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev
  lua5.3 liblua5.3-dev luajit libluajit-5.1-dev lua-busted luarocks valgrind openssl procps
  lua-check clang-format bsdutils curl git binutils lua-http"
BENCH="$TEST nginx-light lua-curl python3"
PACKAGES=""
[ $# -gt 0 ] || set -- test
for purpose in "$@"; do
  case $purpose in
  runtime) PACKAGES="$PACKAGES $RUNTIME" ;;
  demo) PACKAGES="$PACKAGES $DEMO" ;;
  docs) PACKAGES="$PACKAGES $DOCS" ;;
  test) PACKAGES="$PACKAGES $TEST" ;;
  bench) PACKAGES="$PACKAGES $BENCH" ;;
  *) echo "tools/deps.sh: unknown purpose '$purpose' (runtime, demo, docs, test, bench)" >&2; exit 2 ;;
  esac
done
missing=""
for p in $PACKAGES; do
  case " $missing " in *" $p "*) continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "referrals needs these Debian packages; run as root:" >&2
  echo "  apt-get install -y$missing" >&2
  exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
