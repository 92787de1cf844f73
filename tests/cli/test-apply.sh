# backport apply on real Debian trees: 10.2.2 (affected: --check, --quilt with
# quilt pop/push and dpkg-source -b, a failing tree left untouched, an offset
# reported, JSON, a git work tree with a commit) and 10.0.13 (not affected).
. "$(dirname "$0")/libtest.sh"
plan 29

bp apply
{ assert_rc 2 && assert_one_line_error "LINE"; } && ok "no LINE: usage error" || not_ok "no LINE: usage error"
bp apply 10.2
{ assert_rc 2 && assert_one_line_error "\-\-tree"; } && ok "no --tree: usage error" || not_ok "no --tree: usage error"
bp apply 10.2 --tree "$TEST_TMP/nowhere"
{ assert_rc 3 && assert_one_line_error "nowhere"; } && ok "missing tree: exit 3, one line" || not_ok "missing tree: exit 3, one line"

patch102=$(ls "$BP_SOURCE_DIR"/patches/vfio-map-file-private/10.2/0001-*.patch)

# --quilt on a tree without debian/: one line, exit 3, not a GLib critical
nodeb="$TEST_TMP/no-debian"
make_preimage_tree "$patch102" "$nodeb"
echo 10.2.2 >"$nodeb/VERSION"
export G_DEBUG=fatal-criticals
bp apply 10.2 --tree "$nodeb" --quilt
unset G_DEBUG
{ assert_rc 3 && assert_one_line_error "has no debian/patches directory: quilt bookkeeping needs an unpacked Debian source for --quilt" \
  && [ ! -e "$nodeb/.pc" ] && [ ! -e "$nodeb/debian" ]; } && ok "--quilt without debian/: one-line error, exit 3, nothing written" || not_ok "--quilt without debian/: one-line error, exit 3, nothing written"
rm -rf "$nodeb"

# ---- hostile-user cases (issue 19), on synthetic trees ---------------------
# synth DIR: a 10.2.2 tree the 10.2 patch applies to
synth() { make_preimage_tree "$patch102" "$1" && echo 10.2.2 >"$1/VERSION"; }
synth_git() {
    synth "$1" && (cd "$1" && git init -q -b main . && git config user.name "Bea Backporter" \
      && git config user.email bea@example.org && git add -A && git commit -qm base)
}
# state DIR: every path, its type, mode, owner, link count, target and hash
state() {
    (cd "$1" && find . -path ./.git -prune -o -printf '%y %m %u %n %p %l\n' | LC_ALL=C sort \
     && find . -path ./.git -prune -o -type f -print0 | xargs -0 sha256sum | LC_ALL=C sort -k 2)
}

s="$TEST_TMP/twice"
synth "$s"
bp apply 10.2 --tree "$s"
state "$s" >"$TEST_TMP/twice.1"
bp apply 10.2 --tree "$s"
{ assert_rc 0 && assert_stdout "already applied (every hunk's result is present)" \
  && assert_stdout "hunk #1: already applied at line 74" && state "$s" | cmp -s - "$TEST_TMP/twice.1"; } \
  && ok "applying twice: already applied (every hunk's result is present), exit 0, nothing changed" \
  || not_ok "applying twice: already applied (every hunk's result is present), exit 0, nothing changed"
bp apply 10.0 --tree "$s"
{ assert_rc 3 && assert_one_line_error "is QEMU 10.2.2, served by line 10.2, not 10.0"; } \
  && ok "apply 10.0 on a 10.2 tree: the line/tree mismatch, not 'not affected'" \
  || not_ok "apply 10.0 on a 10.2 tree: the line/tree mismatch, not 'not affected'"
rm -rf "$s"

# --force in a git tree with an edit in the file the series changes
s="$TEST_TMP/force"
synth_git "$s"
echo "/* my own edit */" >>"$s/hw/vfio/container.c"
head=$(git -C "$s" rev-parse HEAD)
sha256sum "$s/hw/vfio/container.c" >"$TEST_TMP/force.sum"
bp apply 10.2 --tree "$s" --force
{ assert_rc 3 && assert_one_line_error "uncommitted changes in hw/vfio/container.c.*or pass --files to change the files without commits" \
  && ! grep -q "pass --force" "$TEST_TMP/err" && [ "$(git -C "$s" rev-parse HEAD)" = "$head" ] && sha256sum -c --quiet "$TEST_TMP/force.sum"; } \
  && ok "--force never folds an uncommitted edit of a touched file into the fix's commit" \
  || not_ok "--force never folds an uncommitted edit of a touched file into the fix's commit"
git -C "$s" checkout -q -- hw/vfio/container.c
echo "my note" >>"$s/VERSION"
bp apply 10.2 --tree "$s" --force
{ assert_rc 0 && [ "$(git -C "$s" show --format= --name-only HEAD)" = "hw/vfio/container.c" ] \
  && [ "$(git -C "$s" status --porcelain)" = " M VERSION" ]; } \
  && ok "--force with another file edited: the commit holds only the series' change" \
  || not_ok "--force with another file edited: the commit holds only the series' change"
rm -rf "$s"

# a patch that creates a symlink: one inside the tree, one leading out
lnpack="$TEST_TMP/lnpack/vfio-map-file-private"
mkdir -p "$lnpack/10.2"
sed -n '/^\[line /q;p' "$BP_SOURCE_DIR/patches/vfio-map-file-private/fix.ini" >"$lnpack/fix.ini"
printf '[line 10.2]\nverdict=affected\nfile=hw/vfio/container.c\napi=10.2\nbase=synthetic\n' >>"$lnpack/fix.ini"
ln_patch() { # NAME TARGET: a format-patch mail creating hw/vfio/NAME -> TARGET
    printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Ann Author <ann@example.org>\nDate: Wed, 27 May 2026 10:11:00 +0000\nSubject: [PATCH] add a link\n\nSigned-off-by: Ann Author <ann@example.org>\n---\ndiff --git a/hw/vfio/%s b/hw/vfio/%s\nnew file mode 120000\nindex 0000000..1111111\n--- /dev/null\n+++ b/hw/vfio/%s\n@@ -0,0 +1 @@\n+%s\n\\ No newline at end of file\n' "$1" "$1" "$1" "$2"
}
s="$TEST_TMP/link"
synth "$s"
ln_patch inside.c container.c >"$lnpack/10.2/0001-link.patch"
echo 0001-link.patch >"$lnpack/10.2/series"
BACKPORT_PACKS="$TEST_TMP/lnpack" bp apply 10.2 --tree "$s"
{ assert_rc 0 && [ -L "$s/hw/vfio/inside.c" ] && [ "$(readlink "$s/hw/vfio/inside.c")" = container.c ]; } \
  && ok "a patch creating a symlink (mode 120000) makes a symlink inside the tree" \
  || not_ok "a patch creating a symlink (mode 120000) makes a symlink inside the tree"
ln_patch outside.c ../../../../etc/passwd >"$lnpack/10.2/0001-link.patch"
state "$s" >"$TEST_TMP/link.1"
BACKPORT_PACKS="$TEST_TMP/lnpack" bp apply 10.2 --tree "$s"
{ assert_rc 3 && assert_one_line_error "refusing to create the symlink hw/vfio/outside.c -> ../../../../etc/passwd" \
  && state "$s" | cmp -s - "$TEST_TMP/link.1"; } \
  && ok "a symlink leading out of the tree is refused, nothing written" \
  || not_ok "a symlink leading out of the tree is refused, nothing written"
rm -rf "$s" "$TEST_TMP/lnpack"

# root, a file owned by another user with a second hard link: apply keeps
# its owner and mode; a roll-back puts back the very same inode
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    s="$TEST_TMP/owner"
    synth "$s"
    chown nobody "$s/hw/vfio/container.c" && chmod 640 "$s/hw/vfio/container.c"
    ln "$s/hw/vfio/container.c" "$s/hw/vfio/container-link.c"
    before=$(stat -c '%i %u %g %a %h' "$s/hw/vfio/container.c")
    BACKPORT_TEST_TRANSACTION=fail-after:1 bp apply 10.2 --tree "$s"
    { assert_rc 3 && [ "$(stat -c '%i %u %g %a %h' "$s/hw/vfio/container.c")" = "$before" ]; } \
      && ok "a roll-back keeps the same inode: owner, mode and hard link" \
      || not_ok "a roll-back keeps the same inode: owner, mode and hard link"
    bp apply 10.2 --tree "$s"
    { assert_rc 0 && [ "$(stat -c '%U %a' "$s/hw/vfio/container.c")" = "nobody 640" ] \
      && grep -q vfio_container_can_dma_map_file "$s/hw/vfio/container.c" \
      && ! grep -q vfio_container_can_dma_map_file "$s/hw/vfio/container-link.c"; } \
      && ok "root applying to a file owned by nobody keeps owner and mode (the other link keeps the old text)" \
      || not_ok "root applying to a file owned by nobody keeps owner and mode (the other link keeps the old text)"
    rm -rf "$s"
else
    skip "needs root and a user nobody (chown to another user)"
    skip "needs root and a user nobody (chown to another user)"
fi

# one DEP-3 writer: apply --quilt and export --format dep3 write the same
# header, Last-Update from the patch's own date (not today's)
s="$TEST_TMP/dep3"
synth "$s" && mkdir -p "$s/debian/patches" && : >"$s/debian/patches/series"
bp apply 10.2 --tree "$s" --quilt
name=$(basename "$patch102")
sed '/^---$/q' "$s/debian/patches/$name" >"$TEST_TMP/dep3.apply"
bp export 10.2 --format dep3 --output "$TEST_TMP/dep3-export"
sed '/^---$/q' "$TEST_TMP/dep3-export/patches/$name" >"$TEST_TMP/dep3.export"
{ assert_rc 0 && cmp -s "$TEST_TMP/dep3.apply" "$TEST_TMP/dep3.export" \
  && assert_file_has_content "$TEST_TMP/dep3.apply" '^Last-Update: 2026-05-27$' \
  && assert_file_has_content "$TEST_TMP/dep3.apply" '^Bug: https://bugzilla.kernel.org/show_bug.cgi?id=220776$'; } \
  && ok "apply --quilt and export --format dep3 write identical DEP-3 headers (Last-Update: the patch's date)" \
  || { diff "$TEST_TMP/dep3.apply" "$TEST_TMP/dep3.export" | sed 's/^/#   /' >&2; not_ok "apply --quilt and export --format dep3 write identical DEP-3 headers (Last-Update: the patch's date)"; }
rm -rf "$s" "$TEST_TMP/dep3-export"

# full disks: a small tmpfs, filled to leave a little room
if [ "$(id -u)" -eq 0 ] && mnt="$TEST_TMP/tmpfs" && mkdir -p "$mnt" \
   && mount -t tmpfs -o size=2m,mode=0755 bp-test "$mnt" 2>"$TEST_TMP/mount.err"; then
    trap 'umount "$mnt" 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
    fill() { # leave $1 KiB free
        rm -f "$mnt/fill"
        dd if=/dev/zero of="$mnt/fill" bs=1k count=$(( $(df -k --output=avail "$mnt" | tail -n 1) - $1 )) 2>/dev/null || true
    }
    bad="" hits=0
    for kib in 0 4 8 16 24 32 48 64; do
        s="$mnt/q"
        rm -rf "$s"
        synth "$s" && mkdir -p "$s/debian/patches" && : >"$s/debian/patches/series"
        state "$s" >"$TEST_TMP/q.before"
        fill "$kib"
        bp apply 10.2 --tree "$s" --quilt
        if [ "$rc" -eq 0 ]; then continue; fi
        hits=$((hits + 1))
        { [ "$rc" -eq 3 ] && grep -qi "no space left on device" "$TEST_TMP/err" \
          && state "$s" | cmp -s - "$TEST_TMP/q.before"; } || { bad="$bad $kib"; sed 's/^/#   /' "$TEST_TMP/err" >&2; }
    done
    [ -z "$bad" ] && [ "$hits" -gt 0 ] && ok "full disk during apply --quilt: 'no space left on device' and the tree truly unchanged (no .pc)" \
      || not_ok "full disk during apply --quilt: 'no space left on device' and the tree truly unchanged (no .pc) (failed at$bad KiB free)"
    bad="" hits=0
    for kib in 0 4 8 12 16 24 32 48; do
        s="$mnt/g"
        rm -rf "$s"
        fill 512
        synth_git "$s"
        head=$(git -C "$s" rev-parse HEAD)
        state "$s" >"$TEST_TMP/g.before"
        fill "$kib"
        bp apply 10.2 --tree "$s"
        if [ "$rc" -eq 0 ]; then continue; fi
        hits=$((hits + 1))
        { [ "$rc" -eq 3 ] && grep -qi "no space left on device" "$TEST_TMP/err" \
          && ! grep -q "object not found" "$TEST_TMP/err" && [ "$(git -C "$s" rev-parse HEAD)" = "$head" ] \
          && state "$s" | cmp -s - "$TEST_TMP/g.before"; } || { bad="$bad $kib"; sed 's/^/#   /' "$TEST_TMP/err" >&2; }
    done
    [ -z "$bad" ] && [ "$hits" -gt 0 ] && ok "full disk in a git tree: 'no space left on device', HEAD and files unchanged" \
      || not_ok "full disk in a git tree: 'no space left on device', HEAD and files unchanged (failed at$bad KiB free)"
    umount "$mnt"
    trap 'rm -rf "$TEST_TMP"' EXIT
else
    skip "full-disk cases need root to mount a small tmpfs"
    skip "full-disk cases need root to mount a small tmpfs"
fi

# ---- the 10.0 tree: not affected -------------------------------------------
t100="$TEST_TMP/qemu-10.0.13"
if sh "$FIXTURES/debian-source.sh" 10.0.13 "$t100" 2>"$TEST_TMP/fx100"; then
    bp apply 10.0 --tree "$t100"
    { assert_rc 0 && assert_stdout "not affected, nothing to apply"; } && ok "10.0 tree, line 10.0: not affected, exit 0" || not_ok "10.0 tree, line 10.0: not affected, exit 0"
    bp apply 10.2 --tree "$t100"
    { assert_rc 0 && assert_stdout "QEMU 10.0.13 (line 10.0): not affected"; } && ok "10.0 tree, line 10.2: the tree's VERSION says not affected" || not_ok "10.0 tree, line 10.2: the tree's VERSION says not affected"
    # The 10.1 trap, on 10.0's files (10.0 has the same layout as 10.1: the
    # legacy container.c beside container-base.c): the 10.2 patch names
    # container.c; the function it changes lives in container-base.c.
    trap101="$TEST_TMP/like-10.1"
    mkdir -p "$trap101/hw/vfio"
    echo 10.1.3 >"$trap101/VERSION"
    cp "$t100"/hw/vfio/container.c "$t100"/hw/vfio/container-base.c "$t100"/hw/vfio/common.c "$trap101/hw/vfio/"
    bp apply 10.2 --tree "$trap101" --force
    { assert_rc 1 && assert_one_line_error "vfio_container_dma_map() is defined in hw/vfio/container-base.c, not in hw/vfio/container.c" \
      && cmp -s "$t100/hw/vfio/container.c" "$trap101/hw/vfio/container.c"; } && ok "the 10.1 trap: the hunk's function is named in the file that holds it, tree untouched" || not_ok "the 10.1 trap: the hunk's function is named in the file that holds it, tree untouched"
    rm -rf "$t100"
else
    skip "Debian qemu 10.0.13 source: $(tail -n 1 "$TEST_TMP/fx100")"
    skip "Debian qemu 10.0.13 source: $(tail -n 1 "$TEST_TMP/fx100")"
    skip "Debian qemu 10.0.13 source: $(tail -n 1 "$TEST_TMP/fx100")"
fi

# ---- the 10.2 tree -----------------------------------------------------------
src="$TEST_TMP/src"
t102="$src/qemu-10.2.2"
mkdir -p "$src"
if ! sh "$FIXTURES/debian-source.sh" 10.2.2 "$t102" 2>"$TEST_TMP/fx102"; then
    reason="Debian qemu 10.2.2 source: $(tail -n 1 "$TEST_TMP/fx102")"
    for i in $(seq 19 29); do skip "$reason"; done
    finish
fi
sum() { (cd "$1" && sha256sum hw/vfio/container.c debian/patches/series .pc/applied-patches); }
sum "$t102" >"$TEST_TMP/sum.orig"
# Small trees of hard links to the files apply reads and writes (copying all
# of QEMU is slow on a busy disk; the links also prove nothing is written
# through them).
mini() {
    for f in VERSION hw/vfio/container.c debian/patches/series .pc/applied-patches .pc/.version \
             .pc/.quilt_patches .pc/.quilt_series; do
        mkdir -p "$1/$(dirname "$f")" && cp -l "$t102/$f" "$1/$f" || return 1
    done
}

# --check: reports the hunk, changes nothing
bp apply 10.2 --tree "$t102" --check
{ assert_rc 0 && assert_stdout "hw/vfio/container.c hunk #1: exact at line 74" && assert_stdout "applies" \
  && sum "$t102" | cmp -s - "$TEST_TMP/sum.orig"; } && ok "--check: exact at line 74, tree untouched" || not_ok "--check: exact at line 74, tree untouched"

# a drifted copy: five lines added above the hunk -> offset +5
c1="$TEST_TMP/drift"
mini "$c1"
{ printf '/* 1 */\n/* 2 */\n/* 3 */\n/* 4 */\n/* 5 */\n'; cat "$c1/hw/vfio/container.c"; } >"$TEST_TMP/c.c"
mv "$TEST_TMP/c.c" "$c1/hw/vfio/container.c"
bp apply 10.2 --tree "$c1"
{ assert_rc 0 && assert_stdout "offset at line 79 (stated 74, offset +5)" && grep -q vfio_container_can_dma_map_file "$c1/hw/vfio/container.c" \
  && sum "$t102" | cmp -s - "$TEST_TMP/sum.orig"; } && ok "offset +5 found and reported; the hard-linked original is untouched" || not_ok "offset +5 found and reported; the hard-linked original is untouched"

bp apply 10.2 --tree "$c1" --check --json
{ assert_rc 0 && assert_stdout '"result" : "already-applied"' && assert_stdout '"how" : "already"' && assert_stdout '"applied_line" : 79'; } && ok "applying twice: already applied (exit 0), JSON says so per hunk" || not_ok "applying twice: already applied (exit 0), JSON says so per hunk"
rm -rf "$c1"

# a tree where the hunk's lines changed: exit 1, the hunk named, nothing changed
c2="$TEST_TMP/broken"
mini "$c2"
sed -i 's/int mfd = rb ? qemu_ram_get_fd(rb) : -1;/int mfd = qemu_ram_get_fd(rb);/' "$c2/hw/vfio/container.c"
sum "$c2" >"$TEST_TMP/sum.broken"
bp apply 10.2 --tree "$c2" --quilt
{ assert_rc 1 && assert_one_line_error "hw/vfio/container.c hunk #1 (stated line 74)" && assert_stdout "FAILED" \
  && sum "$c2" | cmp -s - "$TEST_TMP/sum.broken" && [ ! -e "$c2/.pc/$(basename "$patch102")" ] \
  && [ ! -e "$c2/debian/patches/$(basename "$patch102")" ]; } && ok "changed hunk lines: exit 1 naming the hunk; files, series, .pc untouched" || not_ok "changed hunk lines: exit 1 naming the hunk; files, series, .pc untouched"

# the 10.1 series on a 10.2 tree: refused (wrong line), and with --force it
# cannot find its file
bp apply 10.1 --tree "$c2"
{ assert_rc 3 && assert_one_line_error "served by line 10.2"; } && ok "a 10.2 tree refuses the 10.1 series" || not_ok "a 10.2 tree refuses the 10.1 series"
bp apply 10.1 --tree "$c2" --force --check
{ assert_rc 1 && assert_stderr "container-base.c is not in the tree"; } && ok "--force: the 10.1 series names the file this tree lacks" || not_ok "--force: the 10.1 series names the file this tree lacks"
rm -rf "$c2"

# a git work tree: one commit, with the patch's author and the trailer
g="$TEST_TMP/git"
mkdir -p "$g/hw/vfio"
cp "$t102/hw/vfio/container.c" "$g/hw/vfio/"
cp "$t102/VERSION" "$g/"
(cd "$g" && git init -q && git config user.name "Bea Backporter" && git config user.email bea@example.org \
  && git add -A && git commit -qm base)
bp apply 10.2 --tree "$g" --signoff
{ assert_rc 0 && [ "$(git -C "$g" log -1 --format=%an)" = "Chenyi Qiang" ] \
  && git -C "$g" log -1 --format=%B | grep -q "^(backported from .* by backport)$" \
  && git -C "$g" log -1 --format=%B | grep -q "^Signed-off-by: Bea Backporter <bea@example.org>$" \
  && [ -z "$(git -C "$g" status --porcelain)" ]; } && ok "git tree: a commit by the author, trailer and sign-off, clean status" || not_ok "git tree: a commit by the author, trailer and sign-off, clean status"
echo dirt >>"$g/VERSION"
bp apply 10.2 --tree "$g"
{ assert_rc 3 && assert_one_line_error "uncommitted changes"; } && ok "dirty git tree refused" || not_ok "dirty git tree refused"

# --quilt on the Debian tree, then quilt pop -a / push -a, then dpkg-source -b
bp apply 10.2 --tree "$t102" --quilt
name=$(basename "$patch102")
{ assert_rc 0 && [ "$(tail -n 1 "$t102/debian/patches/series")" = "$name" ] \
  && [ "$(tail -n 1 "$t102/.pc/applied-patches")" = "$name" ] \
  && [ -f "$t102/.pc/$name/hw/vfio/container.c" ] \
  && grep -q '^Origin: ' "$t102/debian/patches/$name"; } && ok "--quilt: patch with DEP-3 header, series and .pc recorded" || not_ok "--quilt: patch with DEP-3 header, series and .pc recorded"

if command -v quilt >/dev/null; then
    (cd "$t102" && export QUILT_PATCHES=debian/patches && quilt pop -a -q >"$TEST_TMP/qpop" 2>&1 \
        && ! grep -q vfio_container_can_dma_map_file hw/vfio/container.c \
        && quilt push -a -q >"$TEST_TMP/qpush" 2>&1 \
        && grep -q vfio_container_can_dma_map_file hw/vfio/container.c \
        && [ "$(quilt top)" = "debian/patches/$name" ]) \
      && ok "quilt pop -a && quilt push -a succeed with the new patch on top" \
      || { sed 's/^/#   /' "$TEST_TMP/qpop" "$TEST_TMP/qpush" >&2 2>/dev/null; not_ok "quilt pop -a && quilt push -a succeed with the new patch on top"; }
else
    skip "quilt is not installed"
fi

if command -v dpkg-source >/dev/null && command -v quilt >/dev/null; then
    # The orig tarball is the tree with every patch popped, without debian/.
    (cd "$t102" && export QUILT_PATCHES=debian/patches && quilt pop -a -q >/dev/null \
        && tar -C "$src" --exclude=qemu-10.2.2/debian --exclude=qemu-10.2.2/.pc -cf - qemu-10.2.2 \
           | gzip -1 >"$src/qemu_10.2.2+ds.orig.tar.gz" \
        && quilt push -a -q >/dev/null) \
      && (cd "$src" && nice dpkg-source -b qemu-10.2.2 >"$TEST_TMP/dsb" 2>&1) \
      && ls "$src"/qemu_10.2.2+ds-*.debian.tar.* >/dev/null 2>&1 \
      && xz -dc "$src"/qemu_10.2.2+ds-*.debian.tar.xz | tar -tf - | grep -q "debian/patches/$name" \
      && ok "dpkg-source -b builds the source package with the new patch" \
      || { sed 's/^/#   /' "$TEST_TMP/dsb" >&2 2>/dev/null; not_ok "dpkg-source -b builds the source package with the new patch"; }
else
    skip "dpkg-source or quilt is not installed"
fi
finish
