#!/bin/sh
# bench/status.sh: `backport status` on a full tag scan against what a user
# would run with the git CLI for the same answers:
#   culprit:  git tag --contains <culprit>, plus git log --all --grep
#             "cherry picked from commit <culprit>" and git tag --contains
#             for every pick found;
#   fix:      git log --all --grep for the fix's subject with its Fixes:
#             trailer, the picks of those, and git tag --contains for each.
# (The CLI pipeline has no patch-id or content evidence; backport has both,
# so its fix answers are a superset: the difference is printed.)
#
#   sh bench/status.sh [--commits N] [--tags N] [--runs N]
#
# Defaults: 100000 commits, 500 tags, best of 3 runs each.  The history is
# generated with tests/fixtures/gen-history.sh into $BP_BENCH_DIR (default
# a temporary directory, removed at the end) and reused when it is there.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
commits=100000 tags=500 runs=3
while [ $# -gt 0 ]; do
    case $1 in
        --commits) commits=$2; shift 2 ;;
        --tags) tags=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) echo "usage: bench/status.sh [--commits N] [--tags N] [--runs N]" >&2; exit 2 ;;
    esac
done
backport=${BACKPORT:-$here/build/src/backport}
if [ ! -x "$backport" ]; then
    echo "bench: building backport" >&2
    [ -f "$here/build/build.ninja" ] || meson setup "$here/build" "$here" >/dev/null
    ninja -C "$here/build" >/dev/null
fi
if [ -n "${BP_BENCH_DIR:-}" ]; then
    dir=$BP_BENCH_DIR
    mkdir -p "$dir"
else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/bp-bench-status.XXXXXX")
    trap 'rm -rf "$dir"' EXIT
fi
repo="$dir/repo-$commits-$tags.git"
packs="$dir/packs-$commits-$tags"
now() { date +%s.%N; }
if [ ! -f "$repo/.fixture-ids" ]; then
    t0=$(now)
    sh "$here/tests/fixtures/gen-history.sh" --commits "$commits" --tags "$tags" --pack "$packs" "$repo" >/dev/null
    echo "generated $(git --git-dir="$repo" rev-list --count --all) commits, $(git --git-dir="$repo" tag | wc -l) tags in $(echo "$(now) $t0" | awk '{printf "%.1f", $1 - $2}') s"
fi
. "$repo/.fixture-ids"
export BACKPORT_PACKS="$packs" GIT_DIR="$repo"
n_commits=$(git rev-list --count --all)
n_tags=$(git tag | wc -l)

# best of N wall times of a shell command
best() {
    b=
    i=0
    while [ $i -lt "$runs" ]; do
        t0=$(now)
        sh -c "$1" >"$dir/out.$2" 2>/dev/null || true
        t=$(echo "$(now) $t0" | awk '{printf "%.3f", $1 - $2}')
        if [ -z "$b" ] || [ "$(echo "$t $b" | awk '{ print ($1 < $2) }')" = 1 ]; then b=$t; fi
        i=$((i + 1))
    done
    echo "$b"
}

subject=$(sed -n 's/^subject=//p' "$packs/vfio-map-file-private/fix.ini")
short=$(echo "$culprit" | cut -c1-12)
cli='
    git tag --contains '"$culprit"'
    for c in $(git log --all --format=%H --grep="cherry picked from commit '"$culprit"'"); do
        git tag --contains $c; done
    echo ---
    fixes=$(git log --all --format=%H --fixed-strings --grep="'"$subject"'" --grep="Fixes: '"$short"'" --all-match)
    for f in $fixes; do
        git tag --contains $f
        for c in $(git log --all --format=%H --grep="cherry picked from commit $f"); do git tag --contains $c; done
    done'
t_bp=$(best "'$backport' status --repo '$repo' --json" bp)
t_cli=$(best "$cli" cli)

# the same answers?
jq -r '.lines[].refs[] | select(.kind == "tag" and .culprit.present) | .ref' "$dir/out.bp" | sort -u >"$dir/bp.culprit"
jq -r '.lines[].refs[] | select(.kind == "tag" and .fix.present) | .ref' "$dir/out.bp" | sort -u >"$dir/bp.fix"
sed '/^---$/,$d' "$dir/out.cli" | sort -u >"$dir/cli.culprit"
sed '1,/^---$/d' "$dir/out.cli" | sort -u >"$dir/cli.fix"
if cmp -s "$dir/bp.culprit" "$dir/cli.culprit"; then same=yes; else same=NO; fi
if [ -z "$(comm -13 "$dir/bp.fix" "$dir/cli.fix")" ]; then fix_ok=yes; else fix_ok=NO; fi
extra=$(comm -23 "$dir/bp.fix" "$dir/cli.fix" | tr '\n' ' ')
scanned=$(jq .scan.refs "$dir/out.bp")

echo "history: $n_commits commits, $n_tags tags; backport scanned $scanned refs (tags and branches)"
echo "backport status --json:      $t_bp s (best of $runs)"
echo "git CLI (tag --contains + log --grep): $t_cli s (best of $runs)"
echo "culprit answers identical: $same ($(wc -l <"$dir/bp.culprit") tags contain the culprit or a pick)"
echo "fix: every tag the CLI finds, backport finds too: $fix_ok; backport alone (patch-id/content): ${extra:-none}"
echo "ratio git CLI / backport: $(echo "$t_cli $t_bp" | awk '{printf "%.1f", $1 / $2}')x"
[ "$same" = yes ] && [ "$fix_ok" = yes ]
