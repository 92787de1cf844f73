#!/bin/sh
# Integration: the trees module fetches the 10.2 and 10.0 trees of the real
# fix pack from Debian's archive, through a private apt state in a temporary
# cache built from this machine's apt sources; a second run downloads nothing.
# Skips, with the reason, where Debian's sources cannot be had (no apt, no
# network, no Debian archive in the system's sources).
. "$BP_SOURCE_DIR/tests/cli/libtest.sh"
: "${TREES_DRIVER:?run under meson test}"

command -v apt-get >/dev/null || plan_skip "no apt-get on this machine"
command -v dpkg-source >/dev/null || plan_skip "no dpkg-source (install dpkg-dev)"

cache="$TEST_TMP/cache"
rc=0
"$TREES_DRIVER" --cache "$cache" 10.2 10.0 >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
if [ "$rc" -ne 0 ]; then
    plan_skip "no Debian source index: $(tail -n 1 "$TEST_TMP/err")"
fi
if grep -q '^missing 10.2 no Debian source index' "$TEST_TMP/out"; then
    plan_skip "$(sed -n 's/^missing 10.2 //p' "$TEST_TMP/out")"
fi

plan 6
check "first run: 10.2 is Debian's 10.2.x, fetched" \
    assert_file_has_content "$TEST_TMP/out" '^tree 10\.2 kind=debian version=10\.2\.[0-9]* cached=no '
check "first run: 10.0 is Debian's 10.0.x, fetched" \
    assert_file_has_content "$TEST_TMP/out" '^tree 10\.0 kind=debian version=10\.0\.[0-9]* cached=no '
t102=$(sed -n 's/^tree 10\.2 .* path=//p' "$TEST_TMP/out")
t100=$(sed -n 's/^tree 10\.0 .* path=//p' "$TEST_TMP/out")
check "the trees are unpacked with Debian's patches applied, files where the line keeps them" sh -c "
    [ -f '$t102/hw/vfio/container.c' ] && [ -f '$t100/hw/vfio/container-base.c' ] &&
    [ -s '$t102/.pc/applied-patches' ] && [ -s '$t100/.pc/applied-patches' ]"
check "first run downloaded two source packages" \
    assert_file_has_content "$TEST_TMP/out" '^set downloads=2 exports=0 index-updated=yes$'

start=$(date +%s)
"$TREES_DRIVER" --cache "$cache" 10.2 10.0 >"$TEST_TMP/out2" 2>"$TEST_TMP/err2" || rc=$?
end=$(date +%s)
diag "second run took $((end - start)) s"
check "second run: both trees from the cache, nothing downloaded, index untouched" sh -c "
    grep -q '^tree 10\.2 kind=debian .* cached=yes path=$t102\$' '$TEST_TMP/out2' &&
    grep -q '^tree 10\.0 kind=debian .* cached=yes path=$t100\$' '$TEST_TMP/out2' &&
    grep -q '^set downloads=0 exports=0 index-updated=no\$' '$TEST_TMP/out2' &&
    ! grep -q 'downloading' '$TEST_TMP/err2'"
"$TREES_DRIVER" --cache "$cache" --offline 10.2 10.0 >"$TEST_TMP/out3" 2>"$TEST_TMP/err3" || rc=$?
check "offline run: the same trees from the cache" sh -c "
    grep -q '^tree 10\.2 kind=debian .* cached=yes path=$t102\$' '$TEST_TMP/out3' &&
    grep -q '^tree 10\.0 kind=debian .* cached=yes path=$t100\$' '$TEST_TMP/out3'"
finish
