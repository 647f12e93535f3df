#!/bin/sh
# Installs the Debian packages the project builds and tests with, or, when not root, prints
# the exact apt-get line and stops. Quiet and quick when everything is already there.
set -e
PACKAGES="cmake make gcc clang pkg-config libcurl4-openssl-dev libyajl-dev libmicrohttpd-dev
  lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev lua5.4 liblua5.4-dev
  luajit libluajit-5.1-dev lua-busted lua-cjson luarocks valgrind libclang-rt-14-dev openssl
  procps lua-ldoc lua-check clang-format bsdutils curl git"
# make bench only: the loopback server it measures against.
BENCH_PACKAGES="nginx-light"
[ "${1:-}" = "--bench" ] && PACKAGES=$BENCH_PACKAGES
missing=""
for p in $PACKAGES; do
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
