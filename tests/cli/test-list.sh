# backport list / show on the real pack, and the errors of a broken pack.
. "$(dirname "$0")/libtest.sh"
plan 15

bp list
{ assert_rc 0 &&
  for l in "11.0 *affected" "10.2 *affected" "10.1 *affected" "10.0 *not-affected" "9.2 *not-affected"; do
      assert_stdout "^  $l " || exit 1
  done; } && ok "list prints the five lines with their verdicts" || not_ok "list prints the five lines with their verdicts"

bp list --json
{ assert_rc 0 && assert_stdout '"culprit"' && assert_stdout '"fb32965b6dd8a001815593642a5146fbd2e85651"' &&
  assert_stdout '"upstream" : null' && [ "$(grep -c '"verdict"' "$TEST_TMP/out")" -eq 5 ]; } \
  && ok "list --json: identity, unknown upstream, five verdicts" || not_ok "list --json: identity, unknown upstream, five verdicts"

# bare backport is verify; offline on an empty cache no line has a tree: exit 3
rc=0; "$BACKPORT" --offline --cache "$TEST_TMP/empty-cache" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
{ assert_rc 3 && assert_stderr 'no command given, running `backport verify`' && assert_stdout '^10.2: no tree'; } \
  && ok "bare backport runs verify and says so" || not_ok "bare backport runs verify and says so"

bp show 10.1
{ assert_rc 0 && assert_stdout 'container-base.c' && assert_stdout 'Fixes: fb32965b6dd8' && assert_stdout '+31 -3'; } \
  && ok "show 10.1: file, Fixes, diffstat" || not_ok "show 10.1: file, Fixes, diffstat"

bp show 10.0
{ assert_rc 0 && assert_stdout 'not-affected' && assert_stdout 'nothing to apply'; } \
  && ok "show 10.0: not affected, nothing to apply" || not_ok "show 10.0: not affected, nothing to apply"

bp show 10.2 --json
{ assert_rc 0 && assert_stdout '"author" : "Chenyi Qiang <chenyi.qiang@intel.com>"' && assert_stdout '"hw/vfio/container.c"'; } \
  && ok "show --json names author and files" || not_ok "show --json names author and files"

bp show 7.0
{ assert_rc 3 && assert_one_line_error "no line '7.0'.*lines: 11.0, 10.2"; } \
  && ok "unknown line: one line naming the lines, exit 3" || not_ok "unknown line: one line naming the lines, exit 3"

# A broken pack: copy the real one and break it in one way at a time.
broken() {
    rm -rf "$TEST_TMP/packs"; mkdir -p "$TEST_TMP/packs"
    cp -a "$BP_SOURCE_DIR/patches/vfio-map-file-private" "$TEST_TMP/packs/"
    P="$TEST_TMP/packs/vfio-map-file-private"
}
export BACKPORT_PACKS="$TEST_TMP/packs"

broken; echo "0002-missing.patch" >>"$P/10.2/series"
bp list
{ assert_rc 3 && assert_one_line_error "10.2/series:2: '0002-missing.patch' is listed but .* does not exist"; } \
  && ok "missing series entry: file:line, exit 3" || not_ok "missing series entry: file:line, exit 3"

broken; sed -i '/^\[line 10.1\]/,/^\[/{/^verdict=/d}' "$P/fix.ini"
bp list
{ assert_rc 3 && assert_one_line_error "fix.ini:[0-9]*: \[line 10.1\] has no 'verdict='"; } \
  && ok "line with no verdict: file:line, exit 3" || not_ok "line with no verdict: file:line, exit 3"

broken; sed -i 's/^ *\(unsigned long start = \)/\1/' "$P/11.0/"0001-*.patch
bp list
{ assert_rc 3 && assert_one_line_error "11.0/0001-.*\.patch:[0-9]*: corrupt hunk"; } \
  && ok "patch that does not parse: file:line, exit 3" || not_ok "patch that does not parse: file:line, exit 3"

broken; chmod 000 "$P/10.1/"0001-*.patch
if [ "$(id -u)" = 0 ]; then
    # root reads any mode: make it unreadable as a file instead
    f=$(ls "$P/10.1/"0001-*.patch); rm "$f"; mkdir "$f"
    bp list
    { assert_rc 3 && assert_one_line_error "10.1/series:1: .* is not a regular file"; } \
      && ok "unreadable patch (a directory): named, exit 3" || not_ok "unreadable patch (a directory): named, exit 3"
else
    bp list
    { assert_rc 3 && assert_one_line_error "10.1/0001-.*: cannot read"; } \
      && ok "unreadable patch: named, exit 3" || not_ok "unreadable patch: named, exit 3"
fi
chmod 644 "$P/10.1/"0001-*.patch 2>/dev/null || true

broken; sed -i 's/^culprit=.*/culprit=fb32965b6dd8/' "$P/fix.ini"
bp list
{ assert_rc 3 && assert_one_line_error "fix.ini:[0-9]*: culprit 'fb32965b6dd8' is not a full 40-hex commit id"; } \
  && ok "abbreviated culprit id refused with file:line" || not_ok "abbreviated culprit id refused with file:line"

# Every file of a pack is read with a bound (issue 19): a fix.ini or series
# that leads to /dev/zero is refused in one line, not read until memory ends.
broken; ln -sf /dev/zero "$P/fix.ini"
bp list
{ assert_rc 3 && assert_one_line_error "fix.ini: no fix pack here (not a regular file)"; } \
  && ok "fix.ini -> /dev/zero: refused, nothing read" || not_ok "fix.ini -> /dev/zero: refused, nothing read"
broken; ln -sf /dev/zero "$P/10.1/series"
bp show 10.1
{ assert_rc 3 && assert_one_line_error "10.1/series: line 10.1 is affected but its series cannot be read: not a regular file"; } \
  && ok "series -> /dev/zero: refused, nothing read" || not_ok "series -> /dev/zero: refused, nothing read"
broken; head -c 2000000 /dev/zero | tr '\0' '#' >"$P/10.1/series"
bp show 10.1
{ assert_rc 3 && assert_one_line_error "10.1/series: .*over the 1 MiB limit"; } \
  && ok "a 2 MB series: over the limit, refused" || not_ok "a 2 MB series: over the limit, refused"

finish
