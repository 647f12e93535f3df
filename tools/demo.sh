#!/bin/sh
# make demo: starts the bundled local Partner API server on a free port, creates a shared
# referral from the documented create request (examples/shared_referral.lua), prints the two
# referrals of the engagement, and stops the server by its pid.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$top/build/lua5.4/referrals-fake-server}
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$server" --port 0 --port-file "$work/port" >"$work/server.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$work/port" ]; do
  i=$((i + 1))
  [ "$i" -le 100 ] || { echo "the local Partner API server did not start" >&2; exit 1; }
  sleep 0.05
done
port=$(cat "$work/port")
echo "local Partner API server on http://127.0.0.1:$port (pid $pid)"

REFERRALS_BASE_URL="http://127.0.0.1:$port" REFERRALS_TOKEN="local-demo-token" \
  LUA_CPATH="$top/build/lua5.4/?.so;;" LUA_PATH="$top/lua/?.lua;$top/lua/?/init.lua;;" \
  lua5.4 "$top/examples/shared_referral.lua" "${REFERRALS_REQUEST:-$top/examples/create-request.json}"
