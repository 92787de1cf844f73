#!/bin/sh
# Replay a stable line's real picks, and judge them against what the
# qemu-stable maintainers committed.
#   sh bench/picks.sh REPO RANGE [--limit N] [--queue]
#   e.g. sh bench/picks.sh ~/qemu 'v10.0.0..v10.0.3 ^v10.1.0'
# For each commit C of RANGE whose message says "(cherry picked from commit
# M)" with M in REPO: pick M (all of them, in order, when C names several)
# onto C^, and compare the result's tree with C's own.  The same, side by
# side, with `git cherry-pick --no-commit` in a work tree and with `patch -p1`
# (GNU patch, default fuzz).  Counts per tool: identical, applied but
# different, needs a human (conflict, refused), and backport's present /
# not-needed verdicts; the median time per pick against git cherry-pick.
# With --queue, also the way a maintainer picks a release's worth: every M
# of RANGE in one queue onto RANGE's base, one `backport pick` against
# `git cherry-pick -x` one commit after another (skipping what conflicts),
# total time side by side.
# REPO is never written: the tools work in a shared clone in a temporary
# directory.  Env BACKPORT: the binary (default build/src/backport).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${BACKPORT:-$here/build/src/backport}
[ $# -ge 2 ] || { echo "usage: sh bench/picks.sh REPO RANGE [--limit N]" >&2; exit 2; }
repo=$1 range=$2 limit=0 queue=0
shift 2
while [ $# -gt 0 ]; do
    case $1 in
        --limit) limit=$2; shift ;;
        --queue) queue=1 ;;
        *) echo "bench/picks.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$bin" ] || { echo "bench/picks.sh: build first (meson setup build && ninja -C build), or set BACKPORT" >&2; exit 3; }
git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || { echo "bench/picks.sh: $repo is not a git repository" >&2; exit 3; }
command -v patch >/dev/null || { echo "bench/picks.sh: needs GNU patch" >&2; exit 3; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bp-picks.XXXXXX")
trap 'rm -rf "$work"' EXIT
clone=$work/clone wt=$work/wt
git clone -q --shared --no-checkout "$repo" "$clone"
git -C "$clone" config user.name "bench" && git -C "$clone" config user.email "bench@example.org"
git -C "$clone" worktree add -q --detach "$wt" "$(git -C "$clone" rev-list -1 $range)" 2>/dev/null

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print 0 }'; }

: >"$work/rows"
n=0
for c in $(git -C "$clone" rev-list --reverse --no-merges $range); do
    ms_list=$(git -C "$clone" log -1 --format=%B "$c" | sed -n 's/^(cherry picked from commit \([0-9a-f]\{40\}\))$/\1/p')
    [ -n "$ms_list" ] || continue
    ok=1
    for m in $ms_list; do git -C "$clone" cat-file -e "$m^{commit}" 2>/dev/null || ok=0; done
    [ $ok = 1 ] || continue
    n=$((n + 1))
    [ "$limit" -gt 0 ] && [ "$n" -gt "$limit" ] && break
    want=$(git -C "$clone" rev-parse "$c^{tree}")

    # backport: in the object database, no work tree
    t0=$(now)
    rc=0
    "$bin" pick --repo "$clone" --onto "$c^" --json $ms_list >"$work/bp.json" 2>"$work/bp.err" || rc=$?
    t1=$(now)
    verdicts=$(jq -r '[.picks[].verdict] | unique | join(",")' "$work/bp.json" 2>/dev/null || echo error)
    case "$rc:$verdicts" in
        1:*needs-human*) bp=needs-human ;;
        0:*)
            case "$verdicts" in
                *not-needed*) bp=not-needed ;;
                present) bp=present ;;
                *) [ "$(jq -r .tree "$work/bp.json")" = "$want" ] && bp=identical || bp=different ;;
            esac ;;
        *) bp="error($rc)"; sed 's/^/#   /' "$work/bp.err" >&2 ;;
    esac
    bp_ms=$(ms "$t0" "$t1")

    # git cherry-pick in a work tree (the checkout to C^ is not timed)
    git -C "$wt" checkout -q -f --detach "$c^" && git -C "$wt" clean -qfdx
    t0=$(now)
    if git -C "$wt" cherry-pick --no-commit $ms_list >/dev/null 2>&1; then
        t1=$(now)
        [ "$(git -C "$wt" write-tree)" = "$want" ] && g=identical || g=different
    else
        t1=$(now)
        g=needs-human
    fi
    git_ms=$(ms "$t0" "$t1")
    git -C "$wt" cherry-pick --abort >/dev/null 2>&1 || true
    git -C "$wt" reset -q --hard && git -C "$wt" clean -qfdx

    # patch -p1 (GNU patch's default fuzz 2), whole series, all or nothing
    t0=$(now)
    p=identical
    for m in $ms_list; do
        if ! git -C "$clone" format-patch -1 --stdout "$m" \
                | patch -p1 -s -f --no-backup-if-mismatch -r - -d "$wt" >/dev/null 2>&1; then
            p=needs-human
            break
        fi
    done
    t1=$(now)
    if [ $p = identical ]; then
        git -C "$wt" add -A >/dev/null 2>&1
        [ "$(git -C "$wt" write-tree)" = "$want" ] || p=different
    fi
    patch_ms=$(ms "$t0" "$t1")
    git -C "$wt" reset -q --hard && git -C "$wt" clean -qfdx

    printf '%s %s %s %s %s %s %s\n' "$c" "$bp" "$g" "$p" "$bp_ms" "$git_ms" "$patch_ms" >>"$work/rows"
    printf '%.10s  backport %-11s git %-11s patch %-11s  %5s ms %5s ms %5s ms\n' \
        "$c" "$bp" "$g" "$p" "$bp_ms" "$git_ms" "$patch_ms" >&2
done

count() { awk -v col="$1" -v what="$2" '$col == what' "$work/rows" | wc -l; }
total=$(wc -l <"$work/rows")
echo "picks replayed: $total (commits of $range with a cherry-pick trailer whose commit $repo has)"
printf '%-16s %9s %9s %11s %8s %10s %12s\n' tool identical different needs-human present not-needed "median ms"
for tool in backport git patch; do
    case $tool in backport) col=2 tcol=5 ;; git) col=3 tcol=6 ;; patch) col=4 tcol=7 ;; esac
    med=$(awk -v c=$tcol '{ print $c }' "$work/rows" | median)
    name=$tool; [ $tool = git ] && name="git cherry-pick"; [ $tool = patch ] && name="patch -p1"
    printf '%-16s %9s %9s %11s %8s %10s %12s\n' "$name" "$(count $col identical)" "$(count $col different)" \
        "$(count $col needs-human)" "$(count $col present)" "$(count $col not-needed)" "$med"
    eval "med_$tool=$med"
done
awk -v b="$med_backport" -v g="$med_git" 'BEGIN { if (b > 0) printf "backport is %.2fx git cherry-pick per pick (median %d ms against %d ms)\n", g / b, b, g }'
# The picks where backport's tree differs from git's outcome, for reading.
awk '$2 != $3 { print "  " substr($1, 1, 10) ": backport " $2 ", git " $3 ", patch " $4 }' "$work/rows"

[ $queue = 1 ] || exit 0
# ---- one queue: the whole line's picks onto the range's base -----------------
base=$(git -C "$clone" rev-list --reverse --boundary $range | sed -n 's/^-//p' | head -n 1)
all=$(awk '{ print $1 }' "$work/rows" | while read -r c; do
          git -C "$clone" log -1 --format=%B "$c" | sed -n 's/^(cherry picked from commit \([0-9a-f]\{40\}\))$/\1/p'
      done)
count=$(echo "$all" | wc -w)
t0=$(now)
"$bin" pick --repo "$clone" --onto "$base" --json $all >"$work/queue.json" 2>/dev/null || true
t1=$(now)
bp_total=$(ms "$t0" "$t1")
bp_applied=$(jq '[.picks[] | select(.verdict == "applied")] | length' "$work/queue.json")
git -C "$wt" checkout -q -f --detach "$base" && git -C "$wt" clean -qfdx
g_applied=0
t0=$(now)
for m in $all; do
    if git -C "$wt" cherry-pick -x "$m" >/dev/null 2>&1; then
        g_applied=$((g_applied + 1))
    else
        git -C "$wt" cherry-pick --skip >/dev/null 2>&1 || git -C "$wt" cherry-pick --abort >/dev/null 2>&1 || true
    fi
done
t1=$(now)
git_total=$(ms "$t0" "$t1")
echo "one queue of $count picks onto ${base%"${base#??????????}"}: backport $bp_total ms ($bp_applied applied), git cherry-pick $git_total ms ($g_applied applied)"
awk -v b="$bp_total" -v g="$git_total" -v n="$count" 'BEGIN { if (b > 0) printf "queue: backport is %.1fx git cherry-pick (%.1f ms against %.1f ms a pick)\n", g / b, b / n, g / n }'
