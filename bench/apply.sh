#!/bin/sh
# Series apply time: `backport apply 10.2` against `git apply` and `patch -p1`
# on the same tree (Debian's qemu 10.2.2 source), each run N times on a fresh
# copy of the touched file; prints ms per apply and the ratios.
#   sh bench/apply.sh [N]        (env BACKPORT: the binary; BENCH_TREE: a 10.2.2 tree;
#                                 BACKPORT_BASELINE: another build to compare with,
#                                 e.g. the one before a change: its ratio is printed)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-30}
bin=${BACKPORT:-$here/build/src/backport}
[ -x "$bin" ] || { echo "bench/apply.sh: build first (meson setup build && ninja -C build), or set BACKPORT" >&2; exit 3; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bp-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree="$work/qemu-10.2.2"
if [ -n "${BENCH_TREE:-}" ]; then
    cp -a "$BENCH_TREE" "$tree"
else
    sh "$here/tests/fixtures/debian-source.sh" 10.2.2 "$tree" || { echo "bench/apply.sh: no Debian 10.2.2 tree (set BENCH_TREE)" >&2; exit 77; }
fi
series="$here/patches/vfio-map-file-private/10.2"
patches=$(sed "s|^|$series/|" "$series/series")
files=$(cat $patches | sed -n 's|^+++ b/||p' | sort -u)
mkdir -p "$work/orig"
for f in $files; do mkdir -p "$work/orig/$(dirname "$f")"; cp -p "$tree/$f" "$work/orig/$f"; done
restore() { for f in $files; do cp -p "$work/orig/$f" "$tree/$f"; done; }

now() { date +%s%N; }
total=0
bench() { # NAME COMMAND...: sum of N timed runs, restoring the files between
    name=$1; shift
    restore
    total=0
    i=0
    while [ $i -lt "$n" ]; do
        t0=$(now)
        "$@" >/dev/null 2>&1 || { echo "bench/apply.sh: $name failed" >&2; exit 1; }
        t1=$(now)
        total=$((total + t1 - t0))
        restore
        i=$((i + 1))
    done
    echo "$total"
}
t_bp=$(bench backport "$bin" apply 10.2 --tree "$tree")
t_git=$(bench "git apply" sh -c "cd '$tree' && git apply $patches")
t_patch=$(bench "patch -p1" sh -c "for p in $patches; do patch -p1 -s -d '$tree' <\$p || exit 1; done")
t_start=$(bench "backport version" "$bin" version)
t_base=
if [ -n "${BACKPORT_BASELINE:-}" ]; then
    # This build and the baseline in turns, run after run, so that a busy
    # machine's drift falls on both alike.
    t_bp=0 t_base=0 i=0
    restore
    while [ $i -lt "$n" ]; do
        for which in new base; do
            b=$bin; [ $which = base ] && b=$BACKPORT_BASELINE
            t0=$(now)
            "$b" apply 10.2 --tree "$tree" >/dev/null 2>&1 || { echo "bench/apply.sh: $b failed" >&2; exit 1; }
            t1=$(now)
            restore
            if [ $which = new ]; then t_bp=$((t_bp + t1 - t0)); else t_base=$((t_base + t1 - t0)); fi
        done
        i=$((i + 1))
    done
fi

ms() { echo "$1 $n" | awk '{ printf "%.2f", $1 / $2 / 1e6 }'; }
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
echo "series: $(echo "$patches" | wc -w) patch(es) of line 10.2 on Debian qemu 10.2.2, $n runs each"
echo "backport apply  $(ms "$t_bp") ms/apply  (loads the fix pack, locates every hunk, writes through the journal)"
echo "git apply       $(ms "$t_git") ms/apply"
echo "patch -p1       $(ms "$t_patch") ms/apply"
echo "backport version $(ms "$t_start") ms  (process start: loading libgit2, GMime, GIO; part of every backport run)"
echo "ratio backport/git-apply: $(ratio "$t_bp" "$t_git")"
echo "ratio backport/patch:     $(ratio "$t_bp" "$t_patch")"
if [ -n "$t_base" ]; then
    echo "baseline apply  $(ms "$t_base") ms/apply  ($BACKPORT_BASELINE)"
    echo "ratio backport/baseline: $(ratio "$t_bp" "$t_base")"
fi
