#!/bin/sh
# The map check of `make test`: every source file of the repository is named, by its path, in
# ARCHITECTURE.md, so the map cannot fall behind the tree. One TAP line per file.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
n=0
fail=0
for f in $(git ls-files --cached --others --exclude-standard -- 'include/*.h' 'src/*.[ch]' \
  'lua/*.lua' 'bin/*' 'fake-server/*.[ch]' 'tools/*' 'spec/*.lua' 'tests/*.[ch]' 'fuzz/*.[ch]' \
  'bench/*.lua' 'bench/*.c' 'bench/*.sh' 'examples/*.lua' 'examples/*.c' | sort -u); do
  [ -f "$f" ] || continue
  n=$((n + 1))
  if grep -qF "$f" ARCHITECTURE.md; then
    echo "ok $n - ARCHITECTURE.md names $f"
  else
    echo "not ok $n - ARCHITECTURE.md names $f"
    fail=1
  fi
done
echo "1..$n"
exit $fail
