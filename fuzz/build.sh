#!/bin/sh
# Build the libFuzzer target for backport's patch parsers with clang, and
# optionally run it briefly over the corpus.
#   sh fuzz/build.sh [OUTDIR]                 build OUTDIR/fuzz-diff (default build-fuzz/)
#   sh fuzz/build.sh --run SECONDS [OUTDIR]   build, then fuzz for SECONDS from fuzz/corpus
#   sh fuzz/build.sh --tap [OUTDIR]           as a test: TAP, SKIP without clang
# Needs clang and libclang-rt-14-dev (Debian) besides the build dependencies.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
run=0 tap=0
case "${1:-}" in
    --run) run=$2; shift 2 ;;
    --tap) tap=1 run=${BP_FUZZ_SECONDS:-0}; shift ;;
esac
out=${1:-$here/build-fuzz}

say_skip() { if [ $tap = 1 ]; then echo "1..0 # SKIP $*"; exit 0; fi; echo "fuzz/build.sh: $*" >&2; exit 77; }
clang=$(command -v clang-14 || command -v clang) || say_skip "no clang (apt-get install clang libclang-rt-14-dev)"
pkgs="glib-2.0 gio-2.0 gio-unix-2.0 gmime-3.0 libgit2 json-glib-1.0"
flags=$(pkg-config --cflags --libs $pkgs) || say_skip "missing development packages ($pkgs)"

mkdir -p "$out"
cat >"$out/bp-config.h" <<CONF
#define BP_SOURCE_DIR "$here"
#define BP_VERSION "fuzz"
CONF
[ $tap = 1 ] && echo "1..2"
# shellcheck disable=SC2086
if nice "$clang" -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -D_GNU_SOURCE -DG_LOG_DOMAIN='"backport"' -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 \
    -Wall -Wno-unused-parameter -I"$out" -I"$here/src" \
    "$here/fuzz/fuzz-diff.c" "$here/src/model/patch.c" "$here/src/sources/import.c" "$here/src/engines/locate.c" \
    "$here/src/engines/apply.c" "$here/src/engines/quilt.c" "$here/src/base/bp-error.c" "$here/src/base/bp-git.c" \
    "$here/src/base/path-safety.c" "$here/src/base/transaction.c" "$here/src/base/transaction-journal.c" \
    "$here/src/model/lines.c" "$here/src/model/hunk-report.c" "$here/src/model/dep3.c" \
    $flags -o "$out/fuzz-diff" 2>"$out/build.log"; then
    [ $tap = 1 ] && echo "ok 1 - fuzz-diff builds with $clang -fsanitize=fuzzer"
else
    if [ $tap = 1 ]; then echo "not ok 1 - fuzz-diff builds"; sed 's/^/# /' "$out/build.log"; echo "not ok 2 - fuzz run"; exit 1; fi
    cat "$out/build.log" >&2; exit 1
fi
[ $tap = 1 ] || echo "built $out/fuzz-diff"
if [ "$run" -gt 0 ]; then
    work="$out/corpus"
    mkdir -p "$work"
    # New inputs go to a scratch corpus; the repository's corpus stays small.
    if ASAN_OPTIONS=detect_leaks=0 nice "$out/fuzz-diff" -max_total_time="$run" -max_len=8192 -rss_limit_mb=1024 \
        -artifact_prefix="$out/" "$work" "$here/fuzz/corpus" >"$out/run.log" 2>&1; then
        runs=$(grep -o 'Done [0-9]* runs' "$out/run.log" | tail -n 1)
        [ $tap = 1 ] && echo "ok 2 - fuzz run of ${run}s: ${runs:-no summary}" || echo "fuzz: ${runs:-done}"
    else
        if [ $tap = 1 ]; then echo "not ok 2 - fuzz run found a crash (see $out/run.log)"; tail -n 30 "$out/run.log" | sed 's/^/# /'; exit 1; fi
        tail -n 30 "$out/run.log" >&2; exit 1
    fi
elif [ $tap = 1 ]; then
    echo "ok 2 # SKIP no run requested"
fi
