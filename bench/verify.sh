#!/bin/sh
# bench/verify.sh [CACHE]: cold and warm wall time of the default
# `backport verify` (every line, Debian's real trees).  Cold starts from an
# empty cache (download, unpack, configure); warm reuses trees and build
# directories.  Target: warm under 10 s on two cores.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$(mktemp -d "${TMPDIR:-/tmp}/bp-bench-verify.XXXXXX")}
bp="$here/backport"
"$bp" version >/dev/null    # build first: not part of the measurement

now() { date +%s.%N; }
run() {
    t0=$(now)
    rc=0
    "$bp" verify --cache "$cache" >"$cache.$1.out" 2>"$cache.$1.err" || rc=$?
    t1=$(now)
    echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }'
    [ "$rc" -le 1 ] || { echo " (exit $rc: see $cache.$1.err)" >&2; }
}
echo "cache: $cache"
cold=$(run cold); echo "cold: ${cold} s (download, unpack, configure)"
warm=$(run warm); echo "warm: ${warm} s"
warm2=$(run warm2); echo "warm again: ${warm2} s"
cat "$cache.warm2.out"
awk -v c="$cold" -v w="$warm2" 'BEGIN { printf "warm/cold: %.3f (%.1fx faster warm); target warm < 10 s: %s\n", w / c, c / w, (w < 10 ? "met" : "MISSED") }'
