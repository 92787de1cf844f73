#!/bin/sh
# The whole test suite, as CI runs it: build with -Wall -Wextra -Werror and run
# every test, then again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Ends with one line "N passed, N failed, N skipped".
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
out="${BP_TEST_BUILD_ROOT:-$here/build-tests}"
passed=0 failed=0 skipped=0

run_suite() {
    name=$1; shift
    dir="$out/$name"
    echo "== $name: configure and build ($*)"
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$here" -Dwerror=true "$@" || { failed=$((failed + 1)); return; }
    fi
    if ! ninja -C "$dir"; then
        echo "== $name: build failed"
        failed=$((failed + 1))
        return
    fi
    echo "== $name: test"
    meson test -C "$dir" --print-errorlogs --num-processes 2 --timeout-multiplier "${BP_TIMEOUT_MULTIPLIER:-1}"
    json="$dir/meson-logs/testlog.json"
    # Count subtests, not test programs: every TAP line of every test
    # (`ok`, `ok # SKIP`, `not ok`, a whole-file `1..0 # SKIP`); a test that
    # failed without a `not ok` line (a crash, a timeout) counts one failure.
    counts=$(jq -r '
        (.stdout // "" | split("\n")) as $l
        | ([$l[] | select(test("^ok [0-9]+") and (test("# ?SKIP") | not))] | length) as $p
        | ([$l[] | select(test("^ok [0-9]+.*# ?SKIP") or test("^1\\.\\.0 # ?SKIP"))] | length) as $s
        | ([$l[] | select(test("^not ok"))] | length) as $f
        | [$p, $s, (if .result == "OK" or .result == "SKIP" or $f > 0 then $f else 1 end)]
        | @tsv' "$json" | awk '{p += $1; s += $2; f += $3} END {print p, s, f}')
    set -- $counts
    passed=$((passed + $1)) skipped=$((skipped + $2)) failed=$((failed + $3))
    # Skipped tests print why; show the reasons so a skip is never silent.
    grep -h '^ok .* # SKIP\|^1\.\.0 # SKIP' "$dir"/meson-logs/testlog.txt 2>/dev/null | sed 's/^/   skip: /' | sort -u || true
}

run_suite plain
# Leaks fail the suite too; the one library leak we cannot fix is listed in
# tests/lsan.supp with why.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS="suppressions=$here/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run_suite sanitize -Db_sanitize=address,undefined -Db_lundef=false

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
