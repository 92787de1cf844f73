# CLI basics: help, version, unknown commands, usage errors.
. "$(dirname "$0")/libtest.sh"
plan 4

bp --help
[ "$rc" -eq 0 ] && grep -q '^  version' "$TEST_TMP/out" && ok "--help exits 0 and lists commands" || not_ok "--help exits 0 and lists commands"

bp version
{ assert_rc 0 && assert_stdout '^backport [0-9]' && assert_stdout 'libgit2 1\.'; } && ok "version names itself and libgit2" || not_ok "version names itself and libgit2"

bp no-such-command
{ assert_rc 2 && assert_one_line_error "unknown command 'no-such-command'"; } && ok "unknown command: exit 2, one line" || not_ok "unknown command: exit 2, one line"

bp version --no-such-option
{ assert_rc 2 && assert_one_line_error "no-such-option"; } && ok "unknown option: exit 2, one line" || not_ok "unknown option: exit 2, one line"

finish
