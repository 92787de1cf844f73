#!/bin/sh
# Build the libFuzzer targets for backport's parsers with clang, and run them
# over their corpora: fuzz-diff (the unified diff parser), fuzz-mail (the
# mail parser and writer), fuzz-webtext (the importer: mbox, web-text
# recovery, the lenient diff parser, the repair).  Long runs are
# bench/fuzz.sh's job; this is what CI runs.
#   sh fuzz/build.sh [OUTDIR]                 build OUTDIR/fuzz-* (default build-fuzz/)
#   sh fuzz/build.sh --run SECONDS [OUTDIR]   build, then fuzz each target for SECONDS
#   sh fuzz/build.sh --tap [OUTDIR]           as a test: build, run every corpus input once
#                                             (BP_FUZZ_SECONDS=N: fuzz N s each as well); TAP
# Needs clang and libclang-rt-14-dev (Debian) besides the build dependencies.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
run=0 tap=0
case "${1:-}" in
    --run) run=$2; shift 2 ;;
    --tap) tap=1 run=${BP_FUZZ_SECONDS:-0}; shift ;;
esac
out=${1:-$here/build-fuzz}
targets="diff mail webtext"

say_skip() { if [ $tap = 1 ]; then echo "1..0 # SKIP $*"; exit 0; fi; echo "fuzz/build.sh: $*" >&2; exit 77; }
clang=$(command -v clang-14 || command -v clang) || say_skip "no clang (apt-get install clang libclang-rt-14-dev)"
pkgs="glib-2.0 gio-2.0 gio-unix-2.0 gmime-3.0 libgit2 json-glib-1.0"
flags=$(pkg-config --cflags --libs $pkgs) || say_skip "missing development packages ($pkgs)"

mkdir -p "$out"
cat >"$out/bp-config.h" <<CONF
#define BP_SOURCE_DIR "$here"
#define BP_VERSION "fuzz"
CONF
# The parsers and what they use: base, model and the importer.  Nothing of
# engines/ may be needed (the layers only call downwards).
sources="$here/src/base/bp-error.c $here/src/base/path-safety.c $here/src/base/read-limited.c
  $here/src/model/patch.c $here/src/model/lines.c
  $(ls "$here"/src/sources/import*.c) $here/src/sources/indenter.c"
n=0
[ $tap = 1 ] && echo "1..$(( $(echo $targets | wc -w) * 2 ))"
tap_ok() { n=$((n + 1)); echo "ok $n - $*"; }
tap_fail() { n=$((n + 1)); echo "not ok $n - $*"; failed=1; }
failed=0
for t in $targets; do
    # shellcheck disable=SC2086
    if nice "$clang" -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -D_GNU_SOURCE -DG_LOG_DOMAIN='"backport"' -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 \
        -Wall -Wno-unused-parameter -I"$out" -I"$here/src" \
        "$here/fuzz/fuzz-$t.c" $sources $flags -o "$out/fuzz-$t" 2>"$out/build-$t.log"; then
        if [ $tap = 1 ]; then tap_ok "fuzz-$t builds with $clang -fsanitize=fuzzer,address,undefined"; else echo "built $out/fuzz-$t"; fi
    else
        if [ $tap = 1 ]; then tap_fail "fuzz-$t builds"; sed 's/^/# /' "$out/build-$t.log"; tap_fail "fuzz-$t run"; continue; fi
        cat "$out/build-$t.log" >&2; exit 1
    fi
    corpus="$here/fuzz/corpus/$t"
    # Every corpus input once (-runs=0), then RUN seconds of fuzzing into a
    # scratch corpus: the repository's corpus stays as bench/fuzz.sh merged it.
    work="$out/corpus-$t"
    mkdir -p "$work" "$out/tmp"
    if [ "$run" -gt 0 ]; then how="-max_total_time=$run"; else how="-runs=0"; fi
    # fuzz-webtext makes a small tree in TMPDIR; a crashed child cannot remove
    # it, so TMPDIR is ours and goes at the end
    if TMPDIR="$out/tmp" nice "$out/fuzz-$t" $how -max_len=16384 -rss_limit_mb=2048 -timeout=30 \
        -artifact_prefix="$out/crash-$t-" "$work" "$corpus" >"$out/run-$t.log" 2>&1; then
        inputs=$(ls "$corpus" | wc -l)
        runs=$(grep -o 'Done [0-9]* runs' "$out/run-$t.log" | tail -n 1)
        if [ $tap = 1 ]; then tap_ok "fuzz-$t: $inputs corpus inputs${runs:+, $runs}, no crash or leak"; else echo "fuzz-$t: ${runs:-corpus done}"; fi
    else
        if [ $tap = 1 ]; then tap_fail "fuzz-$t found a crash or leak (see $out/run-$t.log)"; tail -n 30 "$out/run-$t.log" | sed 's/^/# /'
        else tail -n 30 "$out/run-$t.log" >&2; failed=1; fi
    fi
done
rm -rf "$out/tmp"
exit $failed
