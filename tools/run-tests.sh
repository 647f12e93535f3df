#!/bin/sh
# Runs every suite of `make test` and ends with the one line CI reads: "N passed, M failed".
# Each suite prints TAP (busted -o TAP, the C tests' tap.h); a suite that dies without
# reporting a failure of its own counts as one failed test, so a crash can never pass.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
logs=${TEST_LOGS:-build/test-logs} # TEST_LOGS: a directory of its own for a second run at once
rm -rf "$logs" && mkdir -p "$logs"
LUAS=${LUAS:-"5.1 5.2 5.3 5.4 luajit"}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
passed=0
failed=0

# run NAME COMMAND...: runs a suite, keeps its output in $logs/NAME.log, counts its TAP lines.
run() {
  name=$1
  shift
  "$@" >"$logs/$name.log" 2>&1
  status=$?
  ok=$(grep -c '^ok ' "$logs/$name.log")
  nok=$(grep -c '^not ok ' "$logs/$name.log")
  if [ "$status" -ne 0 ] && [ "$nok" -eq 0 ]; then
    echo "not ok - $name exited with status $status" >>"$logs/$name.log"
    nok=1
  fi
  passed=$((passed + ok))
  failed=$((failed + nok))
  printf '%-22s %4d passed, %d failed\n' "$name:" "$ok" "$nok"
  [ "$nok" -eq 0 ] || grep -A8 '^not ok' "$logs/$name.log" | head -60
}

lua_bin() { case $1 in luajit) echo luajit ;; *) echo "lua$1" ;; esac; }

# busted_env BUILD_DIR: the module from BUILD_DIR, the Lua files from lua/, and the fake
# server the specs start.
busted_in() {
  dir=$1
  shift
  env LUA_CPATH="$top/$dir/?.so;;" \
    LUA_PATH="$top/lua/?.lua;$top/lua/?/init.lua;$top/spec/?.lua;;" \
    REFERRALS_FAKE_SERVER="$top/${SERVER_DIR:-build/lua5.4}/referrals-fake-server" "$@"
}

for t in build/lua5.4/test_*; do
  [ -x "$t" ] && run "c:$(basename "$t")" "$t"
done

for v in $LUAS; do
  run "busted:$v" busted_in "build/lua$v" "$(lua_bin "$v")" /usr/bin/busted -o TAP
done

# The exported symbols: core.so offers luaopen_referrals_core alone, the library its API.
run "symbols" tools/check-symbols.sh

# make check stops here: the C unit tests, the symbols and busted on Lua 5.4.
if [ -n "${QUICK:-}" ]; then
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
fi

# The map: every source file is named in ARCHITECTURE.md.
run "architecture" tools/check-architecture.sh

# luacheck over every Lua file (.luacheckrc): one TAP line per file.
run "luacheck" luacheck --formatter TAP .

# The docs check: LDoc builds the reference (as make docs does), then every public function
# of the loaded module must have its entry (tools/check-docs.lua).
docs_suite() {
  rm -rf "$logs/doc" && ldoc -d "$logs/doc" . >"$logs/ldoc.txt" 2>&1 || {
    cat "$logs/ldoc.txt"
    echo "not ok - ldoc failed"
    return 1
  }
  # LDoc's own lines name the configuration, the output and the Markdown processor; any other
  # line is a warning, and Markdown shown as text is one too.
  if grep -v -e '^reading configuration from ' -e '^output written to ' \
    -e '^format: using built-in markdown$' -e '^format: markdown not found, using discount$' \
    "$logs/ldoc.txt" | grep .; then
    echo "not ok - ldoc warned (above)"
  else
    echo "ok - ldoc renders the reference without a warning"
  fi
  busted_in build/lua5.4 lua5.4 tools/check-docs.lua "$logs/doc"
}
run "docs" docs_suite

# The same specs against the AddressSanitizer + UBSan build of the module and server.
asan_lib=$(gcc -print-file-name=libasan.so)
for t in build/asan/test_*; do
  [ -x "$t" ] && run "asan:$(basename "$t")" "$t"
done
SERVER_DIR=build/asan run "asan:busted:5.4" busted_in build/asan \
  env LD_PRELOAD="$asan_lib" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 lua5.4 /usr/bin/busted -o TAP
# The client specs again with the collector running all the time (spec/gc_stress.lua), so a
# value the binding does not anchor is freed at once and ASan sees it.
SERVER_DIR=build/asan run "asan:gc-stress:5.4" busted_in build/asan \
  env LD_PRELOAD="$asan_lib" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 lua5.4 /usr/bin/busted -o TAP \
  --helper=spec/gc_stress.lua --exclude-tags=timing spec/client_spec.lua spec/faults_spec.lua \
  spec/auth_spec.lua

# valgrind memcheck: zero errors, zero bytes definitely or indirectly lost.
valgrind_suite() {
  busted_in build/lua5.4 valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$logs/valgrind.txt" \
    lua5.4 /usr/bin/busted -o TAP --exclude-tags=timing
  vg_status=$?
  cat "$logs/valgrind.txt"
  if [ "$vg_status" -eq 99 ]; then echo "not ok - valgrind found errors or leaks"; return 1; fi
  echo "ok - valgrind: no errors, nothing definitely or indirectly lost"
  return "$vg_status"
}
run "valgrind:5.4" valgrind_suite

fuzz_suite() {
  # (shell variables are global: these names must not clash with run's)
  for fuzzer in build/fuzz/fuzz_*; do
    [ -x "$fuzzer" ] || continue
    target=$(basename "$fuzzer")
    corpus="$logs/corpus-$target"
    mkdir -p "$corpus"
    if "$fuzzer" -max_total_time="$FUZZ_SECONDS" -timeout=5 "$corpus" "fuzz/corpus/${target#fuzz_}" \
      >"$logs/$target.txt" 2>&1; then
      echo "ok - $target: $(grep -o 'Done [0-9]* runs' "$logs/$target.txt") without a crash"
    else
      tail -30 "$logs/$target.txt"
      echo "not ok - $target found a crash (see $logs/$target.txt)"
    fi
  done
}
run "fuzz" fuzz_suite

# The soak run of issue 4, shortened (`make soak` runs 100,000 calls): 5,000 calls with 1%
# faults, every referral once, memory flat after the first 1,000.
run "soak:5.4" busted_in build/lua5.4 lua5.4 tools/soak.lua 5000 1000

run "install" tools/test-install.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
