#!/bin/sh
# The exported-symbol check of `make test` (and make check). The build uses hidden visibility
# (CMakeLists.txt); the public headers in include/ switch it to default for what they declare.
#   1. referrals/core.so exports luaopen_referrals_core and nothing else.
#   2. Every global symbol of libreferrals.a with default visibility is declared in include/.
#   3. Every function and object include/ declares is defined there with default visibility.
# One TAP line per check; BUILD_DIR (default build/lua5.4) names the build tree.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
build=${BUILD_DIR:-build/lua5.4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
check() { # check OK_STATUS DESCRIPTION
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
n=0

nm -D --defined-only "$build/referrals/core.so" | awk '{print $NF}' | sort >"$work/so"
echo luaopen_referrals_core >"$work/want-so"
diff "$work/want-so" "$work/so" | sed 's/^/# /'
cmp -s "$work/want-so" "$work/so"
check $? "core.so exports luaopen_referrals_core only ($(wc -l <"$work/so") symbols)"

# Declared: what the preprocessed headers declare (the X-macros expanded): names followed by
# "(" and extern objects, less the static inline helpers, which are no symbols.
cat include/*.h | cc -E -P -Iinclude - >"$work/headers.i" 2>"$work/cc.txt" || cat "$work/cc.txt"
tr '\n' ' ' <"$work/headers.i" | tr ';{}' '\n\n\n' >"$work/decls"
grep -v -e 'typedef' -e 'static inline' "$work/decls" |
  grep -o -E '\breferrals_[a-z0-9_]+[[:space:]]*\(' | sed 's/[[:space:]]*($//' >"$work/declared"
grep -E '^[[:space:]]*extern ' "$work/decls" | grep -o -E 'referrals_[a-z0-9_]+([[:space:]]*\[\])?[[:space:]]*$' |
  sed 's/[[:space:]]*\[\]//; s/[[:space:]]*$//' >>"$work/declared"
grep -o -E 'static inline [^(]*\breferrals_[a-z0-9_]+[[:space:]]*\(' "$work/decls" |
  grep -o -E 'referrals_[a-z0-9_]+' | sort -u >"$work/inline"
sort -u "$work/declared" | comm -23 - "$work/inline" >"$work/declared.sorted"
mv "$work/declared.sorted" "$work/declared"
readelf -sW "$build/libreferrals.a" |
  awk '$5 == "GLOBAL" && $7 != "UND" && ($4 == "FUNC" || $4 == "OBJECT") {print $6, $8}' >"$work/archive"
awk '$1 == "DEFAULT" {print $2}' "$work/archive" | sort -u >"$work/exported"

comm -13 "$work/declared" "$work/exported" >"$work/undeclared"
sed 's/^/# exported but not declared in include\/: /' "$work/undeclared"
[ ! -s "$work/undeclared" ]
check $? "libreferrals.a exports only what include/ declares ($(wc -l <"$work/exported") symbols)"

comm -23 "$work/declared" "$work/exported" >"$work/missing"
sed 's/^/# declared in include\/ but not exported: /' "$work/missing"
[ ! -s "$work/missing" ]
check $? "every function and object include/ declares is exported ($(wc -l <"$work/declared"))"
echo "1..$n"
exit $fail
