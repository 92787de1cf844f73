# backport export: quilt, dep3, mbox and rpm, each used the way a
# distribution would use it.
. "$(dirname "$0")/libtest.sh"
plan 11
command -v quilt >/dev/null || plan_skip "quilt is not installed (tools/install-deps.sh installs it)"

# quilt: `quilt push -a` on a synthetic tree the patch applies to.
tree="$TEST_TMP/tree"; mkdir -p "$tree"
make_preimage_tree "$(pack_patch 10.2)" "$tree"
cp "$tree/hw/vfio/container.c" "$TEST_TMP/container.c.orig"
bp export 10.2 --format quilt --output "$tree"
{ assert_rc 0 && [ "$(cat "$tree/patches/series")" = "$(cat "$BP_SOURCE_DIR/patches/vfio-map-file-private/10.2/series")" ] &&
  cmp -s "$tree/patches/$(cat "$tree/patches/series")" "$(pack_patch 10.2)"; } \
  && ok "quilt export: series and the patch verbatim" || not_ok "quilt export: series and the patch verbatim"
if (cd "$tree" && QUILT_PATCHES=patches quilt push -a >"$TEST_TMP/quilt.log" 2>&1) &&
   grep -q 'vfio_container_can_dma_map_file(bcontainer, mr, &mfd)' "$tree/hw/vfio/container.c"; then
    ok "quilt push -a applies the exported series"
else
    diag "$(cat "$TEST_TMP/quilt.log")"; not_ok "quilt push -a applies the exported series"
fi
(cd "$tree" && QUILT_PATCHES=patches quilt pop -a >/dev/null 2>&1)
check "quilt pop -a restores the tree" cmp -s "$tree/hw/vfio/container.c" "$TEST_TMP/container.c.orig"

# Exporting again is a no-op; a different file of the same name is refused.
bp export 10.2 --format quilt --output "$tree"
n=$(wc -l <"$tree/patches/series")
{ assert_rc 0 && [ "$n" -eq 1 ]; } && ok "second export: series not duplicated" || not_ok "second export: series not duplicated"
echo "my own patch" >"$tree/patches/$(cat "$tree/patches/series")"
bp export 10.2 --format dep3 --output "$tree"
{ assert_rc 3 && assert_one_line_error "exists with different content" && grep -q "my own patch" "$tree/patches/"0001-*; } \
  && ok "a maintainer's different file is never overwritten" || not_ok "a maintainer's different file is never overwritten"

# A series as maintainers write it (quilt reads the first word of a line):
# "name<TAB>-p1", a comment, CRLF.  The patch is there: not listed again.
q="$TEST_TMP/q"; mkdir -p "$q/patches"
name=$(cat "$BP_SOURCE_DIR/patches/vfio-map-file-private/10.2/series")
cp "$(pack_patch 10.2)" "$q/patches/$name"
printf '# Debian patches\r\nother.patch\r\n%s\t-p1\r\n' "$name" >"$q/patches/series"
cp "$q/patches/series" "$TEST_TMP/series.before"
bp export 10.2 --format quilt -o "$q"
bp export 10.2 --format quilt -o "$q"
{ assert_rc 0 && cmp -s "$q/patches/series" "$TEST_TMP/series.before"; } \
  && ok "export -o twice on a series with '<TAB>-p1', comments and CRLF: listed once, series unchanged" \
  || { diag "$(od -c "$q/patches/series" | head)"; not_ok "export -o twice on a series with '<TAB>-p1', comments and CRLF: listed once, series unchanged"; }

# A series that is a FIFO is refused, not read (the export used to block on
# it forever), and nothing is written.
f="$TEST_TMP/fifo"; mkdir -p "$f/patches"; mkfifo "$f/patches/series"
rc=0; timeout 30 "$BACKPORT" export 10.2 --format quilt -o "$f" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
{ assert_rc 3 && assert_one_line_error "series: not a regular file" && [ -p "$f/patches/series" ] \
  && [ "$(ls "$f/patches")" = series ]; } \
  && ok "a FIFO as series: refused at once, nothing written" || not_ok "a FIFO as series: refused at once, nothing written"

# dep3: every required field, then a diff quilt applies.
d="$TEST_TMP/dep3"; mkdir -p "$d"
make_preimage_tree "$(pack_patch 10.2)" "$d"
bp export 10.2 --format dep3 --output "$d/debian"
p=$(ls "$d/debian/patches/"0001-*.patch)
{ assert_rc 0 &&
  assert_file_has_content "$p" '^Description: vfio/container: Use dma_map_file() only for shared RAM' &&
  assert_file_has_content "$p" '^ Fixes: fb32965b6dd8' &&
  assert_file_has_content "$p" '^Origin: backport, https://' &&
  assert_file_has_content "$p" '^Author: Chenyi Qiang <chenyi.qiang@intel.com>$' &&
  assert_file_has_content "$p" '^Bug: https://bugzilla.kernel.org/show_bug.cgi?id=220776$' &&
  assert_file_has_content "$p" '^Forwarded: not-needed$' &&
  assert_file_has_content "$p" '^Last-Update: 2026-05-27$' &&
  (cd "$d" && QUILT_PATCHES=debian/patches quilt push -a >/dev/null 2>&1); } \
  && ok "dep3: Description, Origin, Author, Bug, Forwarded, Last-Update; quilt applies it" \
  || not_ok "dep3: Description, Origin, Author, Bug, Forwarded, Last-Update; quilt applies it"

# mbox: git am makes a commit with the right author, date and trailers.
g="$TEST_TMP/repo"; mkdir -p "$g"
make_preimage_tree "$(pack_patch 10.1)" "$g"
(cd "$g" && git init -q && git add -A && git -c user.name=T -c user.email=t@example.org commit -qm base)
bp export 10.1 --format mbox
cp "$TEST_TMP/out" "$TEST_TMP/series.mbox"
if (cd "$g" && git -c user.name=Backporter -c user.email=b@example.org am -q "$TEST_TMP/series.mbox") 2>"$TEST_TMP/am.log"; then
    a=$(git -C "$g" log -1 --format='%an <%ae>|%aI')
    msg=$(git -C "$g" log -1 --format=%B)
    if [ "$a" = "Chenyi Qiang <chenyi.qiang@intel.com>|2026-05-27T10:11:00+00:00" ] &&
       printf '%s\n' "$msg" | grep -q '^Fixes: fb32965b6dd8 ("vfio/iommufd: use IOMMU_IOAS_MAP_FILE")$' &&
       printf '%s\n' "$msg" | grep -q '^Closes: https://bugzilla.kernel.org/show_bug.cgi?id=220776$' &&
       printf '%s\n' "$msg" | grep -q '^(backport: adapted to hw/vfio/container-base.c'; then
        ok "mbox: git am commits with the author, date and trailers"
    else
        diag "author: $a" "$msg"; not_ok "mbox: git am commits with the author, date and trailers"
    fi
else
    diag "$(cat "$TEST_TMP/am.log")"; not_ok "mbox: git am commits with the author, date and trailers"
fi

# rpm: Patch lines with a comment, plus the files.
r="$TEST_TMP/rpm"
bp export 11.0 --format rpm --output "$r"
{ assert_rc 0 && assert_stdout '^# Fixes: fb32965b6dd8' && assert_stdout '^Patch1: 0001-.*\.patch$' &&
  cmp -s "$r/$(sed -n 's/^Patch1: //p' "$TEST_TMP/out")" "$(pack_patch 11.0)" &&
  assert_file_has_content "$r/vfio-map-file-private-11.0.spec.inc" '^Patch1: '; } \
  && ok "rpm: commented Patch lines and the files" || not_ok "rpm: commented Patch lines and the files"

bp export 10.0 --format mbox
{ assert_rc 3 && assert_one_line_error "line 10.0 is not-affected: it carries no series"; } \
  && ok "not-affected line: nothing to export, one line" || not_ok "not-affected line: nothing to export, one line"

finish
