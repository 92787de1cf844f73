# Integration: `backport verify 10.2 10.0` on an empty cache fetches Debian's
# real trees and proves both lines; a second run downloads nothing.  Skips
# with the reason where Debian's sources cannot be had.
. "$(dirname "$0")/libtest.sh"
command -v apt-get >/dev/null || plan_skip "no apt-get: Debian source packages cannot be fetched here"
cache="$TEST_TMP/cache"
bp verify 10.2 10.0 --cache "$cache"
if [ "$rc" -eq 3 ] && grep -q 'no tree' "$TEST_TMP/out"; then
    plan_skip "no Debian tree could be fetched: $(grep 'no tree:' "$TEST_TMP/out" | head -n 1)"
fi
plan 5
row() { grep "^$1 " "$TEST_TMP/out"; }
{ assert_stderr 'downloading Debian qemu 1:10.2' && assert_stderr 'downloading Debian qemu 1:10.0'; } \
  && ok "empty cache: both trees are downloaded" || not_ok "empty cache: both trees are downloaded"
{ row 10.0 | grep -q 'debian 10.0.13 .*not affected (proven).*no by-file path for private RAM'; } \
  && ok "10.0 (Debian 10.0.13): not affected, proven" || not_ok "10.0 (Debian 10.0.13): not affected, proven"
if row 10.2 | grep -q 'skip: '; then
    diag "$(row 10.2)"
    skip "10.2 could not be built here (see the check cell): $(row 10.2 | grep -o 'skip: [^ ]* [^ ]* [^ ]*')"
else
    { assert_rc 0 && row 10.2 | grep -q 'debian 10.2.2 .*affected, fix missing.*applies (exact).*compiles before and after.*bug -> clean'; } \
      && ok "10.2 (Debian 10.2.2): affected, applies, compiles, bug before and none after" \
      || not_ok "10.2 (Debian 10.2.2): affected, applies, compiles, bug before and none after"
fi
cp "$TEST_TMP/out" "$TEST_TMP/first"
bp verify 10.2 10.0 --cache "$cache"
{ assert_not_file_has_content "$TEST_TMP/err" 'downloading' && assert_stderr 'cached'; } \
  && ok "second run downloads nothing" || not_ok "second run downloads nothing"
norm() { sed "s/(tier [^)]*)//; s/  */ /g" "$1"; }
norm "$TEST_TMP/first" >"$TEST_TMP/a"; norm "$TEST_TMP/out" >"$TEST_TMP/b"
check "second run gives the same matrix" diff "$TEST_TMP/a" "$TEST_TMP/b"
finish
