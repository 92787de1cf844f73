#!/bin/sh
# backport bisect against `git bisect run`, side by side in one run, on the
# same history and the same question: the first commit where a file
# contains a string.  git runs a grep script on its checked-out tree;
# backport answers it three ways: the content predicate (the blob read from
# each commit's tree), and the run predicate with the same grep script in
# its scratch tree, without and with --paths.  Every answer and every step
# (the good/bad marks of the logs) must equal git's; the script prints wall
# and CPU time, peak memory (/usr/bin/time %M) and the ratios to git (wall).
#
#   sh bench/bisect.sh [ROUNDS [FILES [REPEAT]]]
#       a generated history (the default): ROUNDS rounds of 12 main and 8
#       side commits and a merge (1000: 21,001 commits), FILES files (10,000:
#       the size of QEMU's tree), the culprit in a side branch
#   sh bench/bisect.sh --repo DIR [--good REV] [--bad REV] [--path P] [--grep S] [--repeat N]
#       a real clone, only read (git runs in a private `git clone --shared`
#       of it, checked out at BAD before the clock starts, as a user's clone
#       is).  Defaults: v10.0.0, v10.1.0, hw/vfio/container-base.c,
#       dma_map_file: the commit that brought IOMMU_IOAS_MAP_FILE in.
#
# Best of REPEAT runs each (default 3), the run predicate without --paths
# once (it exports the whole tree).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
BACKPORT=${BACKPORT:-$here/build/src/backport}
REPO= GOOD=v10.0.0 BAD=v10.1.0 FILE=hw/vfio/container-base.c NEEDLE=dma_map_file REPEAT=3
ROUNDS=1000 FILES=10000
if [ "${1:-}" = --repo ]; then
    while [ $# -gt 0 ]; do
        case $1 in
            --repo) REPO=$2; shift 2 ;;
            --good) GOOD=$2; shift 2 ;;
            --bad) BAD=$2; shift 2 ;;
            --path) FILE=$2; shift 2 ;;
            --grep) NEEDLE=$2; shift 2 ;;
            --repeat) REPEAT=$2; shift 2 ;;
            *) echo "bench: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
        esac
    done
else
    ROUNDS=${1:-1000} FILES=${2:-10000} REPEAT=${3:-3}
fi
[ -x "$BACKPORT" ] || { echo "bench: build first (meson setup build && ninja -C build), or set BACKPORT" >&2; exit 3; }
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 3; }
work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/bp-bench-bisect.XXXXXX")}
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$work"
git config --global user.email bench@example.org
git config --global user.name Bench
git config --global advice.detachedHead false

if [ -n "$REPO" ]; then
    [ -d "$REPO" ] && git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 \
        || { echo "bench: --repo $REPO is not a git repository" >&2; exit 3; }
    repo=$(cd "$REPO" && pwd)
    gitdir=$(git -C "$repo" rev-parse --absolute-git-dir)
    good=$(git -C "$repo" rev-parse "$GOOD^{commit}") bad=$(git -C "$repo" rev-parse "$BAD^{commit}")
    clone=$work/git-clone
    git clone -q --shared --no-checkout "$repo" "$clone"
    git -C "$clone" checkout -q "$bad"
    graph=no
    [ -f "$gitdir/objects/info/commit-graph" ] || [ -f "$gitdir/objects/info/commit-graphs/commit-graph-chain" ] && graph=yes
    printf 'history: %s, %s..%s: %s commits, %s files at %s; commit-graph: %s\n' "$repo" "$GOOD" "$BAD" \
        "$(git -C "$repo" rev-list --count "$good..$bad")" "$(git -C "$repo" ls-tree -r "$bad" | wc -l)" \
        "$BAD" "$graph"
    want=
else
    repo=$work/history clone=$repo good= bad=main
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
    FILE=src/feature.c NEEDLE='bug()'
    printf 'history: %s commits (%s merges), %s files, generated in %.1f s; culprit %s (%s)\n' \
        "$(git -C "$repo" rev-list --count main)" "$(git -C "$repo" rev-list --count --merges main)" \
        "$(git -C "$repo" ls-files | wc -l)" "$(echo "$t1 - $t0" | bc)" "$want" \
        "$(git -C "$repo" log -1 --format=%s "$want")"
fi
printf 'question: the first commit whose %s contains "%s"\n' "$FILE" "$NEEDLE"

# the same grep for everyone: exit 1 (bad) when the string is there
printf '%s\n' "grep -qF -e '$NEEDLE' '$FILE' && exit 1" "exit 0" >"$work/pred.sh"
regex=$(printf '%s' "$NEEDLE" | sed 's/[][\\.^$*+?(){}|/]/\\&/g')
printf '%s\n' "cd '$clone' && git bisect start '$bad' '$good' >/dev/null &&" \
    "git bisect run sh '$work/pred.sh' >'$work/git.out' 2>&1; git bisect log >'$work/git.log';" \
    "git bisect reset >/dev/null 2>&1" >"$work/git.sh"
common="'$BACKPORT' bisect --repo '$repo' --good '$good' --bad '$bad'"
printf '%s\n' "$common --predicate content --path '$FILE' --pattern '$regex' \\" \
    "  --log '$work/content.log' >'$work/content.out' 2>'$work/content.err'" >"$work/content.sh"
printf '%s\n' "$common --run \"sh '$work/pred.sh'\" \\" \
    "  --log '$work/run.log' >'$work/run.out' 2>'$work/run.err'" >"$work/run.sh"
printf '%s\n' "$common --run \"sh '$work/pred.sh'\" --paths '$FILE' \\" \
    "  --log '$work/paths.log' >'$work/paths.out' 2>'$work/paths.err'" >"$work/paths.sh"

# measure NAME REPEAT: "wall cpu peak-KiB" of the fastest of REPEAT runs (wall
# from date, to the millisecond; CPU and peak from /usr/bin/time, CPU in 10 ms)
measure() {
    i=0
    while [ "$i" -lt "$2" ]; do
        s=$(date +%s.%N)
        /usr/bin/time -f '%U %S %M' -o "$work/time.$1" sh "$work/$1.sh" || true
        e=$(date +%s.%N)
        awk -v w="$(echo "$e - $s" | bc)" '{ printf "%.3f %.3f %d\n", w, $1 + $2, $3 }' "$work/time.$1"
        i=$((i + 1))
    done | sort -n | head -n 1
}
found() { sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit$/\1/p' "$1"; }
marks() { grep -E '^git bisect (good|bad) ' "$1" | awk '{ print $3, $4 }'; }

set -- $(measure git "$REPEAT"); tg=$1 cg=$2 mg=$3
git_found=$(found "$work/git.out")
[ -n "$want" ] || want=$git_found
marks "$work/git.log" >"$work/git.marks"
steps=$(wc -l <"$work/git.marks" | tr -d ' ')
printf '\n%-36s %9s %9s %9s  %-12s %5s %s\n' tool "wall s" "cpu s" "peak MiB" "first bad" steps ratio
row() {  # NAME LABEL WALL CPU PEAK
    f=$(found "$work/$1.out")
    if [ "$1" = git ]; then same=yes; else
        marks "$work/$1.log" | cmp -s - "$work/git.marks" && same=yes || same=DIFFERENT
    fi
    [ "$f" = "$want" ] || same="$same, WRONG ANSWER"
    printf '%-36s %9.3f %9.3f %9.1f  %-12.12s %5s %s\n' "$2" "$3" "$4" "$(echo "$5 / 1024" | bc -l)" "$f" \
        "$(marks "$work/$1.log" 2>/dev/null | wc -l | tr -d ' ')" \
        "$( [ "$1" = git ] && echo "1.0x" || printf '%.1fx; steps as git: %s' \
            "$(echo "$tg / $3" | bc -l)" "$same")"
    [ "$same" = yes ]
}
ok=0
row git "git bisect run (grep on checkout)" "$tg" "$cg" "$mg" || ok=1
set -- $(measure content "$REPEAT")
row content "backport --predicate content" "$1" "$2" "$3" || ok=1
set -- $(measure paths "$REPEAT")
row paths "backport --run (grep) --paths FILE" "$1" "$2" "$3" || ok=1
set -- $(measure run 1)
row run "backport --run (grep), whole tree" "$1" "$2" "$3" || ok=1
printf '\n(%s steps for git; best of %s, the whole-tree run once; %s)\n' "$steps" "$REPEAT" \
    "$(grep 'evaluated' "$work/content.err")"
[ "$ok" -eq 0 ] || { echo "bench: an answer or the steps differ from git's (want $want)" >&2; exit 1; }
