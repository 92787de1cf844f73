#!/bin/sh
# bench/fuzz.sh [MINUTES] [--update-corpus]
#   Fuzz the three parsers for MINUTES each (default 10), one after the
#   other: fuzz-diff (the unified diff parser), fuzz-mail (the mail parser
#   and writer, round trip), fuzz-webtext (the importer: mbox, web-text
#   recovery, the lenient diff parser, the repair against a tree).  Each
#   starts from its committed corpus (fuzz/corpus/TARGET), the fix packs'
#   patches and damaged variants of them made here (leading whitespace
#   stripped, CRLF, counts too small, an mbox of two, Latin-1 bytes), and the
#   seed at $BP_SEEDS_DIR when there is one.  libFuzzer runs in fork mode, so
#   a crash, a leak or a timeout is kept as an artifact and fuzzing goes on.
#   Prints one row per target: seconds, executions, executions/s, coverage,
#   crashes, leaks, timeouts, corpus before and after `-merge=1`.  With
#   --update-corpus fuzz/corpus/TARGET becomes the inputs of that merge that
#   cover every edge it covers (a second -merge=1 with -use_counters=0).
#   Exit 1 when any target found a crash, leak or timeout (artifacts are in
#   the work dir, printed at the end).  Needs clang (see fuzz/build.sh).
#   This is not CI's job: CI only builds the targets and runs the corpus.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
minutes=10 update=0
for a in "$@"; do
    case "$a" in
        --update-corpus) update=1 ;;
        *) minutes=$a ;;
    esac
done
work=${BP_FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/bp-fuzz.XXXXXX")}
# the targets' scratch files (fuzz-webtext's tree) stay in the work dir, even
# from a child that crashed
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
mkdir -p "$work"
echo "bench/fuzz.sh: work dir $work, $minutes min per target" >&2
sh "$here/fuzz/build.sh" "$work/bin" >&2 || { echo "bench/fuzz.sh: build failed" >&2; exit 1; }

# Seeds made here, from the packs: nothing of QEMU is committed for this.
seeds="$work/seeds"
mkdir -p "$seeds"
i=0
for p in "$here"/patches/*/*/*.patch; do
    i=$((i + 1))
    cp "$p" "$seeds/pack-$i"
    sed 's/^[[:space:]]*//' "$p" >"$seeds/lead-$i"
    sed -e 's/^[[:space:]]*//' -e 's/^\([-+]\)[[:space:]]*/\1/' "$p" >"$seeds/all-$i"
    sed 's/$/\r/' "$p" >"$seeds/crlf-$i"
    sed 's/^\(@@ -[0-9]*\),[0-9]* +\([0-9]*\),[0-9]* @@/\1,5 +\2,7 @@/' "$p" >"$seeds/small-$i"
    sed 's/^+\(.*\)RAM device/+\1RAM caf\xe9 device/' "$p" >"$seeds/latin1-$i"
    sed -n '/^diff --git/,$p' "$p" >"$seeds/diff-$i"
    cat "$p" "$p" >"$seeds/mbox-$i"
done
seed_txt=$(ls "${BP_SEEDS_DIR:-$here/../shared/seeds}"/*.txt 2>/dev/null | head -n 1)
[ -n "$seed_txt" ] && cp "$seed_txt" "$seeds/web-seed"

printf '%-8s %7s %10s %8s %6s %7s %6s %8s %11s\n' target seconds execs exec/s cov crashes leaks timeouts corpus
status=0
for t in diff mail webtext; do
    bin="$work/bin/fuzz-$t"
    committed="$here/fuzz/corpus/$t"
    run="$work/run-$t"
    arts="$work/artifacts-$t"
    mkdir -p "$run" "$arts"
    before=$(ls "$committed" 2>/dev/null | wc -l)
    start=$(date +%s)
    nice "$bin" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
        -max_total_time=$((minutes * 60)) -max_len=16384 -rss_limit_mb=2048 -timeout=30 \
        -artifact_prefix="$arts/" "$run" "$committed" "$seeds" >"$work/log-$t" 2>&1
    secs=$(( $(date +%s) - start ))
    # the fork-mode status lines: "#N: cov: C ft: F corp: K exec/s: E ..."
    last=$(grep -E '^#[0-9]+: cov:' "$work/log-$t" | tail -n 1)
    execs=$(printf '%s\n' "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')
    cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    crashes=$(ls "$arts" | grep -c '^crash-') leaks=$(ls "$arts" | grep -c '^leak-')
    timeouts=$(ls "$arts" | grep -c -e '^timeout-' -e '^oom-')
    # Minimise: what the committed corpus, the seeds and this run cover, in
    # as few inputs as libFuzzer's merge can keep.
    merged="$work/merged-$t"
    rm -rf "$merged" && mkdir -p "$merged"
    "$bin" -merge=1 -max_len=16384 -timeout=30 -artifact_prefix="$arts/merge-" "$merged" "$committed" "$seeds" "$run" >"$work/merge-$t.log" 2>&1
    after=$(ls "$merged" | wc -l)
    printf '%-8s %7s %10s %8s %6s %7s %6s %8s %5s -> %-4s\n' "$t" "$secs" "${execs:-?}" \
        "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" "${cov:-?}" "$crashes" "$leaks" "$timeouts" "$before" "$after"
    [ $((crashes + leaks + timeouts)) -gt 0 ] && status=1
    if [ $update = 1 ]; then
        # What is committed: every edge the merged corpus reaches, one input
        # per edge set (-use_counters=0: hit-count variants are the fuzzer's
        # business, not the repository's).
        rm -rf "$committed" && mkdir -p "$committed"
        "$bin" -merge=1 -use_counters=0 -max_len=16384 -timeout=30 -artifact_prefix="$arts/merge-" \
            "$committed" "$merged" >"$work/commit-merge-$t.log" 2>&1
        echo "$t: $(ls "$committed" | wc -l) inputs kept in fuzz/corpus/$t (every edge of the $after merged)" >&2
    fi
done
if [ $status = 1 ]; then
    echo "artifacts (reproduce with: $work/bin/fuzz-TARGET FILE):" >&2
    for t in diff mail webtext; do
        n=$(ls "$work/artifacts-$t" | wc -l)
        [ "$n" -gt 0 ] && echo "  $work/artifacts-$t/: $n file(s), e.g. $(ls "$work/artifacts-$t" | head -n 1)" >&2
    done
fi
exit $status
