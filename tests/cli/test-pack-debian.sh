# Integration: the pack's 10.2 series applies to Debian's real qemu 10.2.2
# source (fetched at test time; skipped with the reason where it cannot be).
. "$(dirname "$0")/libtest.sh"
tree="$TEST_TMP/qemu-10.2.2"
if ! sh "$FIXTURES/debian-source.sh" 10.2.2 "$tree" --shared 2>"$TEST_TMP/fetch.err"; then
    plan_skip "Debian qemu 10.2.2 source not available: $(tail -n 1 "$TEST_TMP/fetch.err")"
fi
plan 3
check "the tree is 10.2.2 by its VERSION file" [ "$(cat "$tree/VERSION")" = 10.2.2 ]
for p in $(cat "$BP_SOURCE_DIR/patches/vfio-map-file-private/10.2/series"); do
    if (cd "$tree" && git apply --check "$BP_SOURCE_DIR/patches/vfio-map-file-private/10.2/$p") 2>"$TEST_TMP/apply.err"; then
        ok "git apply --check $p on Debian 10.2.2"
    else
        diag "$(cat "$TEST_TMP/apply.err")"; not_ok "git apply --check $p on Debian 10.2.2"
    fi
done
# The preimage blob named in the patch is the tree's own file.
blob=$(sed -n 's/^index \([0-9a-f]*\)\.\..*/\1/p' "$(pack_patch 10.2)")
check "the patch's preimage blob $blob is Debian 10.2.2's hw/vfio/container.c" \
    sh -c "git hash-object '$tree/hw/vfio/container.c' | grep -q '^$blob'"
finish
