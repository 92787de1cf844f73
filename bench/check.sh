#!/bin/sh
# bench/check.sh [TREE] [LINE]: how long `backport check` takes, cold (fresh
# work directory, configure included) and warm (second run), against what a
# user would otherwise run to know whether the series compiles: configure and
# a full `ninja` of the same configured tree.  Opt-in (not part of the test
# suite): the full build takes many minutes on two cores.
#
# TREE defaults to Debian's qemu 10.2.2 source (tests/fixtures/debian-source.sh),
# LINE to the line serving the tree's VERSION.  Targets: cold < 60 s, warm < 2 s.
# Env: BACKPORT (binary; default ./backport), BENCH_JOBS (default: nproc),
# BENCH_KEEP=1 keeps the work directory.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
backport="${BACKPORT:-$here/backport}"
jobs="${BENCH_JOBS:-$(nproc)}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bp-bench-check.XXXXXX")
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT

tree=${1:-}
if [ -z "$tree" ]; then
    tree="$tmp/qemu-10.2.2"
    sh "$here/tests/fixtures/debian-source.sh" 10.2.2 "$tree" --shared || {
        echo "bench/check: no tree: give one, or let debian-source.sh fetch Debian's qemu 10.2.2" >&2; exit 3; }
fi
line=${2:-}
work="$tmp/work"

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.1f\", $1 }"; }
elapsed() { calc "$2 - $1"; }

echo "== tree $tree ($(cat "$tree/VERSION")), $jobs jobs, load $(cut -d' ' -f1-3 /proc/loadavg)"

t0=$(now)
"$backport" check $line --tree "$tree" --build-dir "$work" --jobs "$jobs" --json >"$tmp/cold.json" 2>"$tmp/cold.err" || {
    cat "$tmp/cold.err" >&2; echo "bench/check: the cold check failed" >&2; exit 3; }
t1=$(now)
cold=$(elapsed "$t0" "$t1")
configure=$(sed -n 's/^ *"seconds" : \([0-9.]*\).*/\1/p' "$tmp/cold.json" | head -n 1)
configure=$(calc "${configure:-0}")

t0=$(now)
"$backport" check $line --tree "$tree" --build-dir "$work" --jobs "$jobs" >"$tmp/warm.out" 2>"$tmp/warm.err"
t1=$(now)
warm=$(elapsed "$t0" "$t1")

echo "   backport check, cold: $cold s (configure $configure s; target < 60 s)"
echo "   backport check, warm: $warm s (target < 2 s)"

# The alternative: the full build of the same configured tree (the headers
# and objects check built are already there, so this slightly favours ninja).
echo "   full ninja -j$jobs of $work/build (takes a while)..."
t0=$(now)
nice ninja -C "$work/build" -j "$jobs" >"$tmp/ninja.log" 2>&1 || { tail -n 20 "$tmp/ninja.log" >&2; echo "bench/check: full build failed" >&2; exit 3; }
t1=$(now)
full=$(elapsed "$t0" "$t1")
steps=$(grep -o '^\[[0-9]*/[0-9]*\]' "$tmp/ninja.log" | tail -n 1)
total=$(calc "$configure + $full")

echo "   full build: $full s ninja $steps + $configure s configure = $total s"
echo "ratio: configure + full build / cold check = $(calc "$total / $cold")x"
echo "ratio: full ninja / warm check = $(calc "$full / $warm")x"
