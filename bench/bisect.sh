#!/bin/sh
# backport bisect against `git bisect run` on the same generated history:
# >= 20,000 commits with merges and a tree of thousands of files, the culprit
# in a side branch.  git runs a script doing the same check on its checked-out
# tree; backport reads the blob from each commit's tree (content predicate),
# and, for reference, runs the same script in its own checkout (run predicate).
# Prints the times, checks all three found the same commit, and the ratio.
#
#   sh bench/bisect.sh [ROUNDS [FILES [REPEAT]]]     (defaults 1000 10000 3)
#
# 1000 rounds make 21,001 commits (1000 merges); 10,000 files is the size of
# QEMU's tree.  Wall and CPU (user+sys, children included) are both printed;
# the ratio is on wall time, best of REPEAT runs each (the run predicate once).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-1000} FILES=${2:-10000} REPEAT=${3:-3}
BACKPORT=${BACKPORT:-$here/build/src/backport}
[ -x "$BACKPORT" ] || { echo "bench: build first (meson setup build && ninja -C build), or set BACKPORT" >&2; exit 3; }
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 3; }
work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/bp-bench-bisect.XXXXXX")}
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$work"
git config --global user.email bench@example.org
git config --global user.name Bench
git config --global advice.detachedHead false

repo=$work/history
total=$((1 + ROUNDS * 21))
# the third side commit of the round two thirds in (round r starts at
# 2 + (r-1)*21; side commits sit at odd offsets)
r=$(( (total * 2 / 3 - 2) / 21 + 1 ))
culprit=$((2 + (r - 1) * 21 + 5))
t0=$(date +%s.%N)
sh "$here/tests/fixtures/gen-bisect-history.sh" "$repo" SHAPE=merges ROUNDS="$ROUNDS" MAIN=12 SIDE=8 \
    CULPRIT="$culprit" FILES="$FILES" >/dev/null
t1=$(date +%s.%N)
good=$(awk '$1 == ":1" { print $2 }' "$repo.marks")
want=$(awk -v k="$culprit" '$1 == ":" k { print $2 }' "$repo.marks")
printf 'history: %s commits (%s merges), %s files, generated in %.1f s; culprit %s (%s)\n' \
    "$(git -C "$repo" rev-list --count main)" "$(git -C "$repo" rev-list --count --merges main)" \
    "$(git -C "$repo" ls-files | wc -l)" "$(echo "$t1 - $t0" | bc)" "$want" \
    "$(git -C "$repo" log -1 --format=%s "$want")"

printf '%s\n' "grep -q 'bug()' src/feature.c && exit 1" "exit 0" >"$work/pred.sh"
printf '%s\n' "cd '$repo' && git bisect start main $good >/dev/null &&" \
    "git bisect run sh '$work/pred.sh' >'$work/git.out' 2>&1; git bisect reset >/dev/null 2>&1" >"$work/git.sh"
printf '%s\n' "'$BACKPORT' bisect --repo '$repo' --good $good --bad main --predicate content \\" \
    "  --path src/feature.c --pattern 'bug\\(\\)' >'$work/bp.out' 2>'$work/bp.err'" >"$work/bp.sh"
printf '%s\n' "'$BACKPORT' bisect --repo '$repo' --good $good --bad main --run \"sh '$work/pred.sh'\" \\" \
    "  >'$work/bprun.out' 2>'$work/bprun.err'" >"$work/bprun.sh"

# measure NAME REPEAT: "wall cpu" of the fastest of REPEAT runs of $work/NAME.sh
measure() {
    i=0
    while [ "$i" -lt "$2" ]; do
        /usr/bin/time -f '%e %U %S' -o "$work/time.$1" sh "$work/$1.sh" || true
        awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$work/time.$1"
        i=$((i + 1))
    done | sort -n | head -n 1
}

set -- $(measure git "$REPEAT"); tg=$1 cg=$2
set -- $(measure bp "$REPEAT"); tb=$1 cb=$2
set -- $(measure bprun 1); tr=$1 cr=$2

found() { sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit$/\1/p' "$1"; }
git_found=$(found "$work/git.out")
bp_found=$(found "$work/bp.out")
bpr_found=$(found "$work/bprun.out")
printf 'git bisect run (script on checkout):  %7.3f s wall %7.3f s cpu -> %s\n' "$tg" "$cg" "$git_found"
printf 'backport bisect --predicate content:  %7.3f s wall %7.3f s cpu -> %s\n' "$tb" "$cb" "$bp_found"
printf '    (%s steps; %s)\n' "$(grep -c '^Bisecting:' "$work/bp.err" || true)" "$(grep 'evaluated' "$work/bp.err")"
printf 'backport bisect --run (same script):  %7.3f s wall %7.3f s cpu -> %s (one run)\n' "$tr" "$cr" "$bpr_found"
if [ "$git_found" != "$want" ] || [ "$bp_found" != "$want" ] || [ "$bpr_found" != "$want" ]; then
    echo "bench: the answers differ (want $want)" >&2
    exit 1
fi
printf 'ratio: backport bisect is %.1fx faster than git bisect run (wall, best of %s; cpu %.1fx); --run mode %.2fx\n' \
    "$(echo "$tg / $tb" | bc -l)" "$REPEAT" "$(echo "$cg / $cb" | bc -l)" "$(echo "$tg / $tr" | bc -l)"
