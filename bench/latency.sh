#!/bin/sh
# `make bench-latency` (issue 16): create_many against a service LATENCY_MS away. The bundled
# server answers every request LATENCY_MS late (--latency-ms); a loopback nginx in front
# terminates TLS with HTTP/1.1 or HTTP/2 (the module speaks HTTP/2 only over TLS, as the real
# API does) and keeps its upstream connections alive. Rows: HTTP/1.1 straight to the server
# (no TLS, no nginx: the control), HTTP/1.1 over TLS and HTTP/2 over TLS through nginx, each at
# every concurrency. Per row: requests/s against the ideal concurrency / latency; the client's
# CPU per request (bench/client.lua: user + sys of its process) and its instructions per
# request (callgrind, the difference of a CG_N2 and a CG_N1 run, which cancels startup); the
# CPU per request of the server side (the delayed server and nginx's worker, from /proc); the
# client's connections (counted in nginx's log; for the straight row the server's count); the
# most requests the server held at once.
#   bench/latency.sh [N]     (N creates per row, default 2000; CONCURRENCIES="8 32 128",
#                             LATENCY_MS=100, ROUNDS=1: rounds, the best kept; CG_N1=200,
#                             CG_N2=400, both at least the largest concurrency, so that the
#                             difference opens no connection; CG=0 leaves them out)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
N=${1:-2000}
LATENCY_MS=${LATENCY_MS:-100}
CONCURRENCIES=${CONCURRENCIES:-8 32 128}
ROUNDS=${ROUNDS:-1}
CG=${CG:-1} CG_N1=${CG_N1:-200} CG_N2=${CG_N2:-400}
SERVER="$top/build/lua5.4/referrals-fake-server"
dir="$top/build/bench-latency"
rm -rf "$dir" && mkdir -p "$dir/tmp"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 \
  -subj /CN=127.0.0.1 >/dev/null 2>&1
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The client is pinned to CPU 0 (as in bench/run.sh); the delayed server and nginx are not:
# the far service's own CPU must not be what a row measures, and pinned to the one other core
# of a shared 2-core machine it was (at concurrency 128 it needs about half a core).
# --connection-memory 32: libmicrohttpd clears a connection's memory between its requests;
# the default's 512 KiB (room for a fault's huge header) cost the server a third of its CPU.
"$SERVER" --latency-ms "$LATENCY_MS" --connection-memory 32 --max-records 1 \
  --port-file "$dir/port" >/dev/null 2>"$dir/server.log" &
server_pid=$!
stop() {
  [ -s "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null
  kill "$server_pid" 2>/dev/null || true
}
trap stop EXIT INT TERM
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
UP="127.0.0.1:$(cat "$dir/port")"
P1=$(free_port); P2=$(free_port)
sed -e "s|@DIR@|$dir|g" -e "s|@UPSTREAM@|$UP|" -e "s|@PORT_H1@|$P1|" -e "s|@PORT_H2@|$P2|" \
  bench/latency-nginx.conf.in >"$dir/nginx.conf"
nginx -c "$dir/nginx.conf" -p "$dir" 2>/dev/null
for _ in $(seq 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done

control() { curl -sS -X "$1" "http://$UP/_fake/$2"; }
# CPU ticks (user + sys) of the server side: the delayed server and nginx's processes.
server_ticks() {
  for p in "$server_pid" $(pgrep -d' ' -P "$(cat "$dir/nginx.pid")") "$(cat "$dir/nginx.pid")"; do
    cut -d')' -f2 "/proc/$p/stat"
  done | awk '{ t += $12 + $13 } END { print t }'
}
lua_client() {
  env LUA_CPATH="$top/build/lua5.4/?.so;;" LUA_PATH="$top/lua/?.lua;$top/lua/?/init.lua;;" "$@"
}
instructions() { # URL CONCURRENCY VERSION
  [ "$CG" = 1 ] && [ "$round" = 1 ] || return 0 # counts hardly move: the first round's
  for n in "$CG_N1" "$CG_N2"; do
    BENCH_TIMEOUT=600 lua_client valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      lua5.4 bench/client.lua "$1" "$n" "$2" "$3" 2>&1 | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
  done | { read -r a; read -r b; echo $(((b - a) / (CG_N2 - CG_N1))); }
}
stat_of() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<EOT
$1
EOT
}
rows="$dir/rows.txt"
: >"$rows"
# row NAME CONCURRENCY URL VERSION: one create_many, then what nginx and the server saw.
row() {
  control POST reset
  : >"$dir/access.log" # nginx appends (O_APPEND): a truncated log restarts at 0
  ticks=$(server_ticks)
  out=$(lua_client taskset -c 0 lua5.4 bench/client.lua "$3" "$N" "$2" "$4")
  server_us=$((($(server_ticks) - ticks) * 1000000 / $(getconf CLK_TCK) / N))
  stats=$(control GET stats)
  if [ "$3" = "http://$UP" ]; then
    conns=$(($(stat_of "$stats" connections) - 1)) # less the stats call's own
    protocol=HTTP/1.1
  else
    conns=$(cut -d' ' -f1 "$dir/access.log" | sort -u | wc -l)
    protocol=$(cut -d' ' -f2 "$dir/access.log" | sort -u | paste -sd, -)
    [ "$(grep -vc ' 201$' "$dir/access.log")" = 0 ] || { echo "latency.sh: a create failed" >&2; exit 1; }
  fi
  printf '%s|%s|%s|%s|%s|%s|%s|%s\n' "$1" "$2" "$out" "$conns" "$protocol" \
    "$(stat_of "$stats" max_in_flight)" "$server_us" "$(instructions "$3" "$2" "$4")" >>"$rows"
}
for round in $(seq "$ROUNDS"); do
  for c in $CONCURRENCIES; do
    row "HTTP/1.1 straight" "$c" "http://$UP" 1.1
    row "HTTP/1.1 TLS" "$c" "https://127.0.0.1:$P1" 1.1
    row "HTTP/2 TLS" "$c" "https://127.0.0.1:$P2" 2
  done
done

awk -F'|' -v n="$N" -v ms="$LATENCY_MS" -v rounds="$ROUNDS" '
  {
    key = $1 "|" $2
    split($3, v, " ")
    if (!(key in seen)) { seen[key] = ++count; name[count] = $1; conc[count] = $2; rps[count] = 0; cpu[count] = 1e9 }
    i = seen[key]
    if (v[1] > rps[i]) { rps[i] = v[1]; conns[i] = $4; proto[i] = $5; held[i] = $6; srv[i] = $7 }
    if (v[2] < cpu[i]) cpu[i] = v[2]
    if ($8 != "") ir[i] = $8 < 0 ? "-" : int($8 / 1000) "k"
  }
  END {
    printf "create_many of %d, the server %d ms away (best of %d)\n", n, ms, rounds
    printf "%-18s %4s %7s %6s %6s %8s %8s %8s %5s %5s  %s\n", "row", "conc", "req/s", "ideal",
      "ratio", "us/req", "instr/req", "server", "conns", "held", "protocol"
    for (i = 1; i <= count; i++) {
      ideal = conc[i] * 1000 / ms
      printf "%-18s %4d %7d %6d %6.3f %8.1f %9s %8d %5d %5d  %s\n", name[i], conc[i], rps[i],
        ideal, rps[i] / ideal, cpu[i], ir[i], srv[i], conns[i], held[i], proto[i]
    }
    print "us/req: the client CPU; instr/req: its instructions (callgrind; -: the difference of the"
    print "two runs was negative: their connection setup differed, see RESULTS.md); server: CPU us/req of"
    print "the delayed server and nginx together; conns: the client connections; held: the most"
    print "requests the server held at once"
  }' "$rows"
