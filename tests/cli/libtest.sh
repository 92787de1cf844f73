# Shared helpers for the CLI tests (sourced).  Each test prints TAP:
# `1..N` up front (or plan_skip), then one `ok`/`not ok` per case.
# Environment from meson: BACKPORT (the binary), BP_SOURCE_DIR, BP_BUILD_DIR.
set -u

: "${BACKPORT:?run under meson test}"
: "${BP_SOURCE_DIR:?run under meson test}"
FIXTURES="$BP_SOURCE_DIR/tests/fixtures"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bp-test.XXXXXX")
trap 'rm -rf "$TEST_TMP"' EXIT
# The user's own packs ($XDG_DATA_HOME/backport/packs) are not the test's:
# every test starts with the bundled pack alone.
export XDG_DATA_HOME="$TEST_TMP/xdg-data"
_tap_n=0
_tap_failed=0

plan() { echo "1..$1"; }
# Skip the whole test file, with the reason printed.
plan_skip() { echo "1..0 # SKIP $*"; exit 0; }

ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); _tap_failed=1; echo "not ok $_tap_n - $*"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }
diag() { printf '# %s\n' "$@" >&2; }

# check NAME COMMAND...: a case passes when COMMAND succeeds.
check() {
    _name=$1; shift
    if "$@"; then ok "$_name"; else not_ok "$_name"; fi
}

# run the binary, capturing stdout/stderr/exit code into $TEST_TMP/{out,err}, $rc
bp() {
    rc=0
    "$BACKPORT" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
    return 0
}

assert_rc() {
    if [ "$rc" -ne "$1" ]; then
        diag "expected exit $1, got $rc"; diag "stdout:"; sed 's/^/#   /' "$TEST_TMP/out" >&2
        diag "stderr:"; sed 's/^/#   /' "$TEST_TMP/err" >&2
        return 1
    fi
}
assert_file_has_content() {
    if ! grep -q -e "$2" "$1"; then diag "$1 lacks /$2/:"; sed 's/^/#   /' "$1" >&2; return 1; fi
}
assert_not_file_has_content() {
    if grep -q -e "$2" "$1"; then diag "$1 has /$2/"; return 1; fi
}
assert_stdout() { assert_file_has_content "$TEST_TMP/out" "$1"; }
assert_stderr() { assert_file_has_content "$TEST_TMP/err" "$1"; }
# stderr is one line naming the problem
assert_one_line_error() {
    [ "$(wc -l <"$TEST_TMP/err")" -eq 1 ] || { diag "stderr is not one line:"; sed 's/^/#   /' "$TEST_TMP/err" >&2; return 1; }
    assert_stderr "$1"
}

finish() { exit $_tap_failed; }

# The pack's patch file for LINE.
pack_patch() { ls "$BP_SOURCE_DIR/patches/vfio-map-file-private/$1/"*.patch | head -n 1; }

# make_preimage_tree PATCH DIR: a synthetic tree the patch applies to, made
# from the patch itself: each hunk's context and removed lines at the stated
# line numbers, filler lines elsewhere.  Real QEMU code is never needed.
make_preimage_tree() {
    _p=$1 _d=$2
    sed -n "s|^+++ b/||p" "$_p" | while read -r _f; do mkdir -p "$_d/$(dirname "$_f")"; done
    awk -v dir="$_d" '
        /^diff --git / { file = substr($4, 3); next }
        /^@@ / { split($2, o, ","); start = substr(o[1], 2); left = (o[2] == "" ? 1 : o[2]);
                 path = dir "/" file
                 while (written[path] < start - 1) { written[path]++; print "/* filler line " written[path] " */" > path }
                 inhunk = 1; next }
        inhunk && left > 0 && /^[ -]/ { written[path]++; print substr($0, 2) > path; left--; next }
        inhunk && left > 0 && /^\+/ { next }
        inhunk && left > 0 && /^$/ { written[path]++; print "" > path; left--; next }
        { inhunk = 0 }
    ' "$_p"
}
