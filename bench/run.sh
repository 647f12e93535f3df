#!/bin/sh
# `make bench` (issue 5): starts a loopback nginx (one worker, pinned to CPU 1), measures every
# row with the client pinned to CPU 0, prints one table, stops nginx by its pid.
#   bench/run.sh [N]      (N requests per row, default 5000; ROUNDS=3 rounds, the best kept)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
N=${1:-5000}
CG_N1=${CG_N1:-200}
CG_N2=${CG_N2:-400}
dir="$top/build/bench"
fixtures="$top/tests/fixtures"
rm -rf "$dir" && mkdir -p "$dir/tmp"

cc -O2 -Wall -Wextra -Werror -o "$dir/raw_curl" bench/raw_curl.c $(pkg-config --cflags --libs libcurl)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 \
  -subj /CN=127.0.0.1 >/dev/null 2>&1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(free_port); P2=$(free_port); P3=$(free_port)
sed -e "s|@DIR@|$dir|g" -e "s|@FIXTURES@|$fixtures|g" -e "s|@PORT_HTTP@|$P1|" \
  -e "s|@PORT_HTTPS@|$P2|" -e "s|@PORT_H2@|$P3|" bench/nginx.conf.in >"$dir/nginx.conf"
taskset -c 1 nginx -c "$dir/nginx.conf" -p "$dir" 2>/dev/null
for _ in $(seq 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done
stop() { [ -s "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true; }
trap stop EXIT INT TERM

HTTP="http://127.0.0.1:$P1" HTTPS="https://127.0.0.1:$P2" H2="https://127.0.0.1:$P3"
PATH_="/v1.0/engagements/referrals"
# lua_in VERSION ARGS...: the module built for VERSION, pinned to CPU 0.
lua_in() {
  v=$1; shift
  bin=lua$v; [ "$v" = luajit ] && bin=luajit
  env LUA_CPATH="$top/build/lua$v/?.so;;" LUA_PATH="$top/lua/?.lua;$top/lua/?/init.lua;;" \
    taskset -c 0 "$bin" "$@"
}

body="$dir/body.json"
# Row 1 sends what the module sends: the documented request, validated and encoded.
lua_in 5.4 - "$fixtures/create-request.json" "$body" <<'LUA'
local r, c = require "referrals", require "cjson"
local f = assert(io.open(arg[1], "rb"))
assert(io.open(arg[2], "wb")):write(assert(r.encode_valid(c.decode(f:read("*a")))))
LUA

# Every row runs ROUNDS times, the rows taking turns, and keeps its best round (most
# requests/s, least CPU): on a shared machine one slow moment otherwise decides a ratio.
ROUNDS=${ROUNDS:-3}
rows="$dir/rows.txt"
: >"$rows"
row() { name=$1; shift; printf '%s|%s\n' "$name" "$("$@")" >>"$rows"; }
for _ in $(seq "$ROUNDS"); do
  row "1 raw libcurl C, HTTP/1.1" taskset -c 0 "$dir/raw_curl" "$HTTP$PATH_" "$body" "$N"
  row "2 create, Lua 5.4, HTTP/1.1" lua_in 5.4 bench/client.lua "$HTTP" "$N"
  row "2 create, LuaJIT, HTTP/1.1" lua_in luajit bench/client.lua "$HTTP" "$N"
  row "3 create, Lua 5.4, HTTPS" lua_in 5.4 bench/client.lua "$HTTPS" "$N"
  row "4 create_many 8, HTTP/1.1" lua_in 5.4 bench/client.lua "$HTTP" "$N" 8 1.1
  row "4 create_many 32, HTTP/1.1" lua_in 5.4 bench/client.lua "$HTTP" "$N" 32 1.1
  row "4 create_many 8, HTTP/2 TLS" lua_in 5.4 bench/client.lua "$H2" "$N" 8 2
  row "4 create_many 32, HTTP/2 TLS" lua_in 5.4 bench/client.lua "$H2" "$N" 32 2
  row "5 create, Lua 5.1, HTTP/1.1" lua_in 5.1 bench/client.lua "$HTTP" "$N"
  row "5 Lua-cURL+lua-cjson, Lua 5.1" lua_in 5.1 bench/luacurl.lua "$HTTP" "$N"
done

# Instructions per request: two callgrind runs, CG_N2 and CG_N1 requests; the difference
# cancels startup.
instr() {
  a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" "$CG_N1" 2>&1 | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
  b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" "$CG_N2" 2>&1 | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
  echo $(( (b - a) / (CG_N2 - CG_N1) ))
}
ir_raw=$(instr "$dir/raw_curl" "$HTTP$PATH_" "$body")
ir_lua=$(export LUA_CPATH="$top/build/lua5.4/?.so;;" LUA_PATH="$top/lua/?.lua;$top/lua/?/init.lua;;"
  instr lua5.4 bench/client.lua "$HTTP")
ir_lua51=$(export LUA_CPATH="$top/build/lua5.1/?.so;;" LUA_PATH="$top/lua/?.lua;$top/lua/?/init.lua;;"
  instr lua5.1 bench/client.lua "$HTTP")
ir_luacurl=$(instr lua5.1 bench/luacurl.lua "$HTTP")

# Marshaling: each run is already the best of 5 rounds inside; the best of ROUNDS runs too.
marshal_best() {
  for _ in $(seq "$ROUNDS"); do lua_in "$1" bench/marshal.lua 20000 | head -1 | awk '{print $(NF-1)}'; done |
    sort -n | head -1
}
marshal=$(marshal_best 5.4)
marshal_jit=$(marshal_best luajit)

# The floor (bench/floor.lua): Lua building the response's tables alone, nothing parsed, in
# CPU us; with raw libcurl's CPU it bounds what any binding returning Lua tables can reach.
floor_best() {
  for _ in $(seq "$ROUNDS"); do lua_in "$1" bench/floor.lua 100000 | awk '{print $1}'; done | sort -n | head -1
}
floor=$(floor_best 5.4)
floor_jit=$(floor_best luajit)

awk -F'|' -v ir_raw="$ir_raw" -v ir_lua="$ir_lua" -v n="$N" -v rounds="$ROUNDS" \
  -v floor="$floor" -v floor_jit="$floor_jit" -v ir_lua51="$ir_lua51" -v ir_luacurl="$ir_luacurl" '
  {
    split($2, v, " ")
    if (!($1 in seen)) { seen[$1] = ++count; name[count] = $1; rps[count] = 0; cpu[count] = 1e9 }
    i = seen[$1]
    if (v[1] > rps[i]) rps[i] = v[1]
    if (v[2] < cpu[i]) cpu[i] = v[2]
    if (v[3] > rss[i]) rss[i] = v[3]
  }
  END {
    printf "%-32s %10s %10s %10s %9s %9s\n", "row (N=" n ", best of " rounds ")", "req/s", "CPU us/req", "peak RSS KB", "req/s/r1", "CPU/r1"
    for (i = 1; i <= count; i++)
      printf "%-32s %10d %10.1f %10d %9.2f %9.2f\n", name[i], rps[i], cpu[i], rss[i], rps[i] / rps[1], cpu[i] / cpu[1]
    printf "\ninstructions per request (callgrind): raw libcurl %d, client:create Lua 5.4 %d (%.2fx)\n", ir_raw, ir_lua, ir_lua / ir_raw
    printf "instructions per request (callgrind), Lua 5.1: Lua-cURL + lua-cjson %d, client:create %d (%.2fx)\n", ir_luacurl, ir_lua51, ir_lua51 / ir_luacurl
    printf "floor of a binding returning Lua tables (raw libcurl + Lua building the result alone, bench/floor.lua): Lua 5.4 %.2f us = %.2fx raw libcurl CPU, LuaJIT %.2f us = %.2fx\n", floor, (cpu[1] + floor) / cpu[1], floor_jit, (cpu[1] + floor_jit) / cpu[1]
  }' "$rows"
echo "marshaling (validate+encode+decode): Lua 5.4 $marshal us/iter, LuaJIT $marshal_jit us/iter"
