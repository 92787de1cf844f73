# backport import: plain diffs, mboxes that keep each patch's boundaries and
# metadata, and damaged pasted patches repaired against the Debian 10.2.2 tree
# so that the result applies and gives byte for byte what the pack's 10.2
# patch gives; and hostile input and output (devices, FIFOs, /dev/zero, CRLF,
# bytes that are not UTF-8, hunk counts too small) refused or handled exactly.
. "$(dirname "$0")/libtest.sh"
plan 25

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

# ---- hostile input and output (issue 19) -------------------------------------
mail1=$(ls "$TEST_TMP"/mails/0001-*.patch)
# -o NODE: a FIFO, a character device, /proc/self/fd/1 on a device: refused,
# exit 3, the node stays what it was (it used to be replaced by a file).
mkfifo "$TEST_TMP/fifo"
bp import "$mail1" -o "$TEST_TMP/fifo"
{ assert_rc 3 && assert_one_line_error "fifo is a FIFO: refusing to replace it" && [ -p "$TEST_TMP/fifo" ]; } \
  && ok "-o FIFO: refused, exit 3, the FIFO is still a FIFO" || not_ok "-o FIFO: refused, exit 3, the FIFO is still a FIFO"
ln -s "$TEST_TMP/fifo" "$TEST_TMP/link"
bp import "$mail1" -o "$TEST_TMP/link"
{ assert_rc 3 && assert_one_line_error "link is a symbolic link" && [ -L "$TEST_TMP/link" ] && [ -p "$TEST_TMP/fifo" ]; } \
  && ok "-o a symlink: refused, link and target untouched" || not_ok "-o a symlink: refused, link and target untouched"
if mknod "$TEST_TMP/null" c 1 3 2>/dev/null; then
    bp import "$mail1" -o "$TEST_TMP/null"
    { assert_rc 3 && assert_one_line_error "null is a character device" && [ -c "$TEST_TMP/null" ]; } \
      && ok "-o a character device: refused, still a device" || not_ok "-o a character device: refused, still a device"
    # stdout on that device, and -o /proc/self/fd/1 (the link to it)
    rc=0
    "$BACKPORT" import "$mail1" -o /proc/self/fd/1 >"$TEST_TMP/null" 2>"$TEST_TMP/err" || rc=$?
    { assert_rc 3 && assert_one_line_error "/proc/self/fd/1 is a symbolic link" && [ -c "$TEST_TMP/null" ]; } \
      && ok "-o /proc/self/fd/1 with stdout on a device: refused, the device stays" \
      || not_ok "-o /proc/self/fd/1 with stdout on a device: refused, the device stays"
else
    skip "mknod needs root: no character device to write to"
    skip "mknod needs root: no character device to write to"
fi

# /dev/zero, as a file and on stdin: the 16 MiB limit holds, streamed (it
# used to read until memory ran out).  Without sanitizers (they need a large
# address space) the address space is capped, so a regression fails fast.
limit_as() { if [ -z "${ASAN_OPTIONS:-}" ]; then ulimit -v 1048576; fi; }
rc=0
(limit_as; exec timeout 60 "$BACKPORT" import /dev/zero) >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
{ assert_rc 3 && assert_one_line_error "/dev/zero: over the 16 MiB limit for a patch"; } \
  && ok "import /dev/zero: refused at the 16 MiB limit" || not_ok "import /dev/zero: refused at the 16 MiB limit"
rc=0
(limit_as; exec timeout 60 "$BACKPORT" import - </dev/zero) >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
{ assert_rc 3 && assert_one_line_error "<stdin>: over the 16 MiB limit for a patch"; } \
  && ok "import - from /dev/zero: refused at the 16 MiB limit" || not_ok "import - from /dev/zero: refused at the 16 MiB limit"

# CRLF mail: normalised as git mailinfo does; the result applies.
sed 's/$/\r/' "$mail1" >"$TEST_TMP/crlf.patch"
bp import "$TEST_TMP/crlf.patch" -o "$TEST_TMP/crlf.out"
(cd "$r" && git checkout -q HEAD~0 2>/dev/null)
{ assert_rc 0 && ! grep -q "$(printf '\r')" "$TEST_TMP/crlf.out" && (cd "$r" && git apply --check "$TEST_TMP/crlf.out") \
  && bp import "$mail1" -o "$TEST_TMP/lf.out" && cmp -s "$TEST_TMP/crlf.out" "$TEST_TMP/lf.out"; } \
  && ok "CRLF mail: no CR left, git apply takes it, same as the LF mail" || not_ok "CRLF mail: no CR left, git apply takes it, same as the LF mail"

# Bytes that are not UTF-8 in a mail that says charset=UTF-8: kept exactly
# as sent (git am does the same); they used to be deleted from the code.
l1="$TEST_TMP/latin1"
git init -q "$l1" && printf 'int c;\n' >"$l1/c.c" && git -C "$l1" add c.c && git -C "$l1" commit -qm base
printf 'int c; /* caf\351 */\n' >"$l1/c.c"
git -C "$l1" commit -qam "c: a comment in Latin-1" -m "Signed-off-by: One <one@example.org>"
git -C "$l1" format-patch -q --stdout -1 \
  | sed "/^Subject: /a MIME-Version: 1.0\\nContent-Type: text/plain; charset=UTF-8\\nContent-Transfer-Encoding: 8bit" >"$TEST_TMP/latin1.patch"
bp import "$TEST_TMP/latin1.patch" -o "$TEST_TMP/latin1.out"
git -C "$l1" show HEAD:c.c >"$TEST_TMP/latin1.want"
{ assert_rc 0 && grep -q '^Content-Type: text/plain; charset=UTF-8' "$TEST_TMP/latin1.patch" \
  && (cd "$l1" && git checkout -q HEAD~1 && git am -q "$TEST_TMP/latin1.out") && cmp -s "$l1/c.c" "$TEST_TMP/latin1.want"; } \
  && ok "non-UTF-8 bytes under charset=UTF-8: kept byte for byte, git am gives the same file" \
  || not_ok "non-UTF-8 bytes under charset=UTF-8: kept byte for byte, git am gives the same file"
# ... and apply, from a pack whose patch has such a byte.
packs="$TEST_TMP/packs"
mkdir -p "$packs" && cp -r "$BP_SOURCE_DIR/patches/vfio-map-file-private" "$packs/"
p102=$(ls "$packs"/vfio-map-file-private/10.2/0001-*.patch)
sed -i 's/^+     \* 2) RAM device sub-regions (MMIO BARs)$/+     * 2) RAM device sub-regions (MMIO BARs) caf\xe9/' "$p102"
pt="$TEST_TMP/pt"
make_preimage_tree "$p102" "$pt"
cp -r "$pt" "$pt.orig"
rc=0
BACKPORT_PACKS="$packs" "$BACKPORT" apply 10.2 --tree "$pt" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
{ assert_rc 0 && grep -q "$(printf 'BARs) caf\351$')" "$pt/hw/vfio/container.c"; } \
  && ok "apply: a non-UTF-8 byte of the patch reaches the file" || not_ok "apply: a non-UTF-8 byte of the patch reaches the file"

# Counts too small ("@@ -74,5 +74,7 @@" on a 15/43-line hunk): the body
# has the last word.  import recounts it and says so (it used to drop the
# fix's own lines and call it repaired).  apply refuses a hunk that ends by
# its counts while its lines go on ("@@ -74,3 +74,3 @@": it used to apply
# the 3 context lines, change nothing, and say "applied").
patch102=$(ls "$BP_SOURCE_DIR"/patches/vfio-map-file-private/10.2/0001-*.patch)
sed 's/^@@ -74,15 +74,43 @@/@@ -74,5 +74,7 @@/' "$patch102" >"$TEST_TMP/small.patch"
st="$TEST_TMP/small-tree"
make_preimage_tree "$patch102" "$st"
cp -r "$st" "$st.want" && (cd "$st.want" && git apply "$patch102")
bp import "$TEST_TMP/small.patch" --tree "$st" -o "$TEST_TMP/small.out"
{ assert_rc 0 && assert_stderr 'goes on past its counts (13 more line(s)): taken from its body and recounted' \
  && grep -q '^@@ -74,15 +74,43 @@' "$TEST_TMP/small.out" \
  && (cd "$st" && git apply "$TEST_TMP/small.out") && cmp -s "$st/hw/vfio/container.c" "$st.want/hw/vfio/container.c"; } \
  && ok "import: counts too small, recounted from the body, the whole fix applies" \
  || not_ok "import: counts too small, recounted from the body, the whole fix applies"
sed "s/^@@ -74,15 +74,43 @@/@@ -74,3 +74,3 @@/" "$patch102" >"$p102"
rm -rf "$pt" && cp -r "$pt.orig" "$pt"
rc=0
BACKPORT_PACKS="$packs" "$BACKPORT" apply 10.2 --tree "$pt" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
{ assert_rc 3 && assert_one_line_error "has ended by its counts, but its lines go on" && diff -r "$pt" "$pt.orig" >/dev/null; } \
  && ok "apply: counts too small refused, tree untouched" || not_ok "apply: counts too small refused, tree untouched"

# ---- the pack's 10.2 patch, damaged, against Debian 10.2.2 -------------------
patch102=$(ls "$BP_SOURCE_DIR"/patches/vfio-map-file-private/10.2/0001-*.patch)
t102="$TEST_TMP/qemu-10.2.2"
if ! sh "$FIXTURES/debian-source.sh" 10.2.2 "$t102" 2>"$TEST_TMP/fx102"; then
    reason="Debian qemu 10.2.2 source: $(tail -n 1 "$TEST_TMP/fx102")"
    for i in $(seq 18 25); do skip "$reason"; done
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
    # the seed with counts too small as well: the body still has the last word
    sed "s/^@@ -74,15 +74,43 @@/@@ -74,5 +74,7 @@/" "$seed" >"$TEST_TMP/seed-small.txt"
    check_repaired seed-small "$TEST_TMP/seed-small.txt" && assert_stderr "goes on past its counts" \
      && ok "the seed with counts too small: recounted, container.c byte-identical to the pack's" \
      || not_ok "the seed with counts too small: recounted, container.c byte-identical to the pack's"
else
    skip "no seed at $seeds (set BP_SEEDS_DIR)"
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
