# backport import: plain diffs, mboxes that keep each patch's boundaries and
# metadata, and damaged pasted patches repaired against the Debian 10.2.2 tree
# so that the result applies and gives byte for byte what the pack's 10.2
# patch gives.
. "$(dirname "$0")/libtest.sh"
plan 13

command -v git >/dev/null || plan_skip "git is not installed"
export GIT_CONFIG_NOSYSTEM=1 HOME="$TEST_TMP"
git config --global user.name "Test User"
git config --global user.email test@example.org

# ---- synthetic: mbox with two patches, a plain diff, ambiguity -------------
r="$TEST_TMP/repo"
mkdir -p "$r" && cd "$r" || exit 1
git init -q .
printf 'int a;\n\nint f(void)\n{\n    return 1;\n}\n' >a.c
git add a.c && git commit -qm base
printf 'int a;\n\nint f(void)\n{\n    return 2;\n}\n' >a.c
git commit -qam "a: return two" -m "Because two." -m "Signed-off-by: One <one@example.org>" --author "One <one@example.org>"
printf 'int b;\n' >b.c
git add b.c && git commit -qm "b: add b" -m "Signed-off-by: Two <two@example.org>" --author "Two <two@example.org>"
git format-patch -q --stdout HEAD~2 >"$TEST_TMP/two.mbox"
git checkout -q HEAD~2
cd - >/dev/null

mkdir -p "$TEST_TMP/mails"
bp import "$TEST_TMP/two.mbox" -o "$TEST_TMP/mails"
{ assert_rc 0 && [ "$(ls "$TEST_TMP/mails" | wc -l)" -eq 2 ] \
  && grep -q '^Subject: \[PATCH\] a: return two$' "$TEST_TMP/mails"/0001-*.patch \
  && grep -q '^From: One <one@example.org>$' "$TEST_TMP/mails"/0001-*.patch \
  && grep -q '^Subject: \[PATCH\] b: add b$' "$TEST_TMP/mails"/0002-*.patch \
  && ! grep -qF 'b/b.c' "$TEST_TMP/mails"/0001-*.patch; } && ok "mbox: two patches keep their boundaries, subjects and authors" || not_ok "mbox: two patches keep their boundaries, subjects and authors"

(cd "$r" && git am -q "$TEST_TMP"/mails/0001-*.patch "$TEST_TMP"/mails/0002-*.patch \
  && [ "$(git log -1 --format=%an)" = Two ] && [ "$(git log -1 --skip=1 --format=%an)" = One ]) \
  && ok "the imported mails go in with git am, authors kept" || not_ok "the imported mails go in with git am, authors kept"

(cd "$r" && git diff HEAD~2 HEAD~1) >"$TEST_TMP/plain.diff"
(cd "$r" && git checkout -q HEAD~2)
bp import "$TEST_TMP/plain.diff" --subject "a: return two"
cp "$TEST_TMP/out" "$TEST_TMP/plain.mail"
(cd "$r" && git apply --check "$TEST_TMP/plain.mail") && grep -q '^Subject: \[PATCH\] a: return two$' "$TEST_TMP/plain.mail" \
  && ok "plain diff -> mail that git apply accepts" || not_ok "plain diff -> mail that git apply accepts"

# damaged (leading whitespace stripped) without a tree: refused, one line
sed 's/^[[:space:]]*//' "$TEST_TMP"/mails/0001-*.patch >"$TEST_TMP/dmg-a.patch"
bp import "$TEST_TMP/dmg-a.patch"
{ assert_rc 3 && assert_one_line_error "give --tree"; } && ok "damaged input without --tree: refused, asks for --tree" || not_ok "damaged input without --tree: refused, asks for --tree"

# ambiguous: the hunk's text twice in the tree, equally far from its line
amb="$TEST_TMP/amb"
mkdir -p "$amb"
printf 'x;\n{\n    return 1;\n}\ny;\n{\n    return 1;\n}\n' >"$amb/a.c"
printf 'diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -4,3 +4,3 @@\n{\n-return 1;\n+return 2;\n}\n' >"$TEST_TMP/amb.patch"
bp import "$TEST_TMP/amb.patch" --tree "$amb"
{ assert_rc 3 && assert_one_line_error "equally well"; } && ok "ambiguous match refused clearly" || not_ok "ambiguous match refused clearly"

# over the size limit: refused before parsing
head -c $((17 * 1024 * 1024)) /dev/zero | tr "\\0" "x" >"$TEST_TMP/huge.patch"
bp import "$TEST_TMP/huge.patch"
{ assert_rc 3 && assert_one_line_error "limit"; } && ok "input over 16 MiB refused in one line" || not_ok "input over 16 MiB refused in one line"

# ---- the pack's 10.2 patch, damaged, against Debian 10.2.2 -------------------
patch102=$(ls "$BP_SOURCE_DIR"/patches/vfio-map-file-private/10.2/0001-*.patch)
t102="$TEST_TMP/qemu-10.2.2"
if ! sh "$FIXTURES/debian-source.sh" 10.2.2 "$t102" 2>"$TEST_TMP/fx102"; then
    reason="Debian qemu 10.2.2 source: $(tail -n 1 "$TEST_TMP/fx102")"
    for i in $(seq 7 13); do skip "$reason"; done
    finish
fi

# What the pack's own patch makes of container.c.
ref="$TEST_TMP/ref"
mkdir -p "$ref/hw/vfio"
cp "$t102/hw/vfio/container.c" "$ref/hw/vfio/"
(cd "$ref" && git apply "$patch102") || not_ok "reference: the pack's 10.2 patch applies to Debian 10.2.2"

# repaired = import DAMAGED --tree; applies with git apply; same container.c
check_repaired() { # NAME DAMAGED
    out="$TEST_TMP/$1.fixed"
    bp import "$2" --tree "$t102" -o "$out"
    [ "$rc" -eq 0 ] || { assert_rc 0; return 1; }
    w="$TEST_TMP/$1.w"
    mkdir -p "$w/hw/vfio"
    cp "$t102/hw/vfio/container.c" "$w/hw/vfio/"
    (cd "$w" && git apply --check "$out" && git apply "$out") || return 1
    cmp "$w/hw/vfio/container.c" "$ref/hw/vfio/container.c" || { diff "$w/hw/vfio/container.c" "$ref/hw/vfio/container.c" | sed 's/^/#   /' >&2; return 1; }
}

# 1. leading whitespace stripped from every line (context lines lose their ' ')
sed 's/^[[:space:]]*//' "$patch102" >"$TEST_TMP/strip-lead.patch"
! (cd "$ref" && git apply --check "$TEST_TMP/strip-lead.patch" 2>/dev/null) \
  && ok "the stripped patch is corrupt for git apply" || not_ok "the stripped patch is corrupt for git apply"
check_repaired lead "$TEST_TMP/strip-lead.patch" && assert_stderr "repaired against" \
  && ok "stripped leading whitespace: repaired, applies, container.c byte-identical" \
  || not_ok "stripped leading whitespace: repaired, applies, container.c byte-identical"

# 2. all indentation gone, also after the +/- prefix (as the web archive did)
sed -e 's/^[[:space:]]*//' -e 's/^\([-+]\)[[:space:]]*/\1/' "$patch102" >"$TEST_TMP/strip-all.patch"
check_repaired all "$TEST_TMP/strip-all.patch" && assert_stderr "added line(s) re-indented" \
  && ok "all indentation gone: re-indented QEMU style, container.c byte-identical" \
  || not_ok "all indentation gone: re-indented QEMU style, container.c byte-identical"
grep -q '^Subject: \[PATCH\] vfio/container: Use dma_map_file() only for shared RAM and' "$TEST_TMP/all.fixed" \
  && grep -q '^From: Chenyi Qiang <chenyi.qiang@intel.com>$' "$TEST_TMP/all.fixed" \
  && grep -q '^@@ -74,15 +74,43 @@ void vfio_address_space_insert(VFIOAddressSpace \*space,$' "$TEST_TMP/all.fixed" \
  && ok "the repaired mail keeps subject and author, hunk header recounted" \
  || not_ok "the repaired mail keeps subject and author, hunk header recounted"

# 3. the seed itself (web-archive text: no headers, blank lines lost, replies)
seeds="${BP_SEEDS_DIR:-$BP_SOURCE_DIR/../shared/seeds}"
seed=$(ls "$seeds"/000_*.txt 2>/dev/null | head -n 1)
if [ -n "$seed" ]; then
    check_repaired seed "$seed" && assert_stderr "put back 2 blank context line" \
      && ok "the seed: repaired, applies, container.c byte-identical to the pack's" \
      || not_ok "the seed: repaired, applies, container.c byte-identical to the pack's"
    grep -q '^Reviewed-by: Cédric Le Goater <clg@redhat.com>$' "$TEST_TMP/seed.fixed" \
      && grep -q '^From: Chenyi Qiang <chenyi.qiang@intel.com>$' "$TEST_TMP/seed.fixed" \
      && ! grep -q '^> ' "$TEST_TMP/seed.fixed" \
      && ok "the seed: author from Signed-off-by, reviewer from the reply, no quoted text" \
      || not_ok "the seed: author from Signed-off-by, reviewer from the reply, no quoted text"
else
    skip "no seed at $seeds (set BP_SEEDS_DIR)"
    skip "no seed at $seeds (set BP_SEEDS_DIR)"
fi

# the repaired patch goes through backport's own engine on the tree too
c="$TEST_TMP/c"
mkdir -p "$c/hw/vfio"
cp "$t102/hw/vfio/container.c" "$c/hw/vfio/"
(cd "$c" && patch -p1 -s --dry-run <"$TEST_TMP/all.fixed") \
  && ok "patch -p1 accepts the repaired patch too" || not_ok "patch -p1 accepts the repaired patch too"
finish
