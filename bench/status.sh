#!/bin/sh
# bench/status.sh: `backport status` against what a user runs with git for
# the culprit's answers, side by side in one run, with peak memory:
#   git tag --contains <culprit>                      (with a commit-graph)
#   git log --all --grep='cherry picked from commit <culprit>'
# backport runs cold (a fresh status index) and warm (the index of the
# run before).  Each is timed best of N, the runs of all tools interleaved
# so a busy machine slows them alike.
#
#   sh bench/status.sh [--repo DIR] [--commits N] [--tags N] [--runs N]
#
# Without --repo: a generated history (tests/fixtures/gen-history.sh,
# 100000 commits, 500 tags) with its own fix pack; git's commit-graph is
# written into it.  With --repo DIR (a QEMU clone, e.g. the real history):
# nothing is written into DIR; when DIR has no commit-graph, the run uses a
# --shared clone of it with one written, as an expert would set git up.
# The answers are compared too: the release tags that contain the culprit
# (or a pick of it) by backport and by git.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
repo_arg= commits=100000 tags=500 runs=3
while [ $# -gt 0 ]; do
    case $1 in
        --repo) repo_arg=$2; shift 2 ;;
        --commits) commits=$2; shift 2 ;;
        --tags) tags=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) echo "usage: bench/status.sh [--repo DIR] [--commits N] [--tags N] [--runs N]" >&2; exit 2 ;;
    esac
done
backport=${BACKPORT:-$here/build/src/backport}
[ -x "$backport" ] || { echo "bench: build first (meson setup build && ninja -C build), or set BACKPORT" >&2; exit 3; }
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 3; }
command -v jq >/dev/null || { echo "bench: needs jq" >&2; exit 3; }
if [ -n "${BP_BENCH_DIR:-}" ]; then
    dir=$BP_BENCH_DIR; mkdir -p "$dir"
else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/bp-bench-status.XXXXXX")
    trap 'rm -rf "$dir"' EXIT
fi
export GIT_CONFIG_NOSYSTEM=1

if [ -z "$repo_arg" ]; then
    repo="$dir/repo-$commits-$tags.git"
    packs="$dir/packs-$commits-$tags"
    if [ ! -f "$repo/.fixture-ids" ]; then
        sh "$here/tests/fixtures/gen-history.sh" --commits "$commits" --tags "$tags" --pack "$packs" --probe-keys "$repo" >/dev/null
        git --git-dir="$repo" commit-graph write --reachable
    fi
    culprit=$(sed -n 's/^culprit=//p' "$repo/.fixture-ids")
    export BACKPORT_PACKS="$packs"
    what="generated history"
else
    repo=$(cd "$repo_arg" && pwd)
    git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || { echo "bench: $repo_arg is not a git repository" >&2; exit 3; }
    common=$(cd "$repo" && cd "$(git rev-parse --git-common-dir)" && pwd)
    if [ ! -f "$common/objects/info/commit-graph" ] && [ ! -f "$common/objects/info/commit-graphs/commit-graph-chain" ]; then
        echo "bench: $repo has no commit-graph; using a --shared clone with one written" >&2
        git clone -q --shared --no-checkout "$repo" "$dir/clone"
        git -C "$dir/clone" commit-graph write --reachable
        repo="$dir/clone"
    fi
    culprit=$(sed -n 's/^culprit=//p' "${BACKPORT_PACKS:-$here/patches}/vfio-map-file-private/fix.ini")
    what=$repo_arg
fi
short=$(echo "$culprit" | cut -c1-12)

# run NAME CMD...: one timed run, its wall time and peak RSS appended to NAME's list
run() {
    name=$1; shift
    /usr/bin/time -f "%e %M" -o "$dir/time.$name" "$@" >"$dir/out.$name" 2>"$dir/err.$name" || true
    tail -n 1 "$dir/time.$name" >>"$dir/times.$name"   # (after "Command exited with non-zero status")
}
rm -f "$dir"/times.*
i=0
while [ $i -lt "$runs" ]; do
    rm -rf "$dir/index-cold"
    run cold "$backport" status --repo "$repo" --json --cache "$dir/index-cold"
    run tag git -C "$repo" tag --contains "$culprit"
    run grep git -C "$repo" log --all --format=%H --grep="cherry picked from commit $culprit"
    [ $i -eq 0 ] && "$backport" status --repo "$repo" --json --cache "$dir/index-warm" >/dev/null 2>&1 || true
    run warm "$backport" status --repo "$repo" --json --cache "$dir/index-warm"
    i=$((i + 1))
done
best() { sort -n "$dir/times.$1" | head -n 1 | cut -d' ' -f1; }
peak() { sort -n -k2 "$dir/times.$1" | tail -n 1 | awk '{ printf "%.0f", $2 / 1024 }'; }
t_cold=$(best cold) t_warm=$(best warm) t_tag=$(best tag) t_grep=$(best grep)
t_git=$(echo "$t_tag $t_grep" | awk '{ printf "%.3f", $1 + $2 }')

# the same answers: release tags holding the culprit (or a pick of it)
jq -r '.lines[].refs[] | select(.kind == "tag" and .culprit.present) | .ref' "$dir/out.warm" | sort -u >"$dir/bp.tags"
jq -r '.lines[].refs[] | select(.kind == "tag") | .ref' "$dir/out.warm" | sort -u >"$dir/bp.scanned"
{ cat "$dir/out.tag"; for c in $(cat "$dir/out.grep"); do git -C "$repo" tag --contains "$c"; done; } | sort -u >"$dir/git.all"
comm -12 "$dir/git.all" "$dir/bp.scanned" >"$dir/git.tags"
if cmp -s "$dir/bp.tags" "$dir/git.tags"; then same=yes; else same=NO; fi
jq -r .scan "$dir/out.warm" >"$dir/scan.warm"

printf 'history: %s: %s commits, %s refs scanned; %s\n' "$what" "$(jq -r .commits "$dir/scan.warm")" \
    "$(jq -r .refs "$dir/scan.warm")" "$(jq -r .graph "$dir/scan.warm")"
printf '%-62s %9s %10s\n' "(best of $runs, runs interleaved)" "wall s" "peak MiB"
printf '%-62s %9s %10s\n' "git tag --contains $short" "$t_tag" "$(peak tag)"
printf '%-62s %9s %10s\n' "git log --all --grep='cherry picked from commit $short'" "$t_grep" "$(peak grep)"
printf '%-62s %9s\n' "git, both" "$t_git"
printf '%-62s %9s %10s   %sx git\n' "backport status, cold (fresh index)" "$t_cold" "$(peak cold)" \
    "$(echo "$t_git $t_cold" | awk '{ printf "%.1f", $1 / $2 }')"
printf '%-62s %9s %10s   %sx git\n' "backport status, warm (index of the run before)" "$t_warm" "$(peak warm)" \
    "$(echo "$t_git $t_warm" | awk '{ printf "%.1f", $1 / $2 }')"
echo "commits read: cold $(jq -r .scan.read "$dir/out.cold"), warm $(jq -r .read "$dir/scan.warm")"
echo "culprit answers identical: $same ($(wc -l <"$dir/bp.tags") of $(wc -l <"$dir/bp.scanned") release tags hold the culprit or a pick of it)"
[ "$same" = yes ]
