#!/bin/sh
# Shell completion: `backport complete LINE POINT` from each command's own
# option table, and completion/backport.bash run in a real bash.
. "$(dirname "$0")/libtest.sh"
plan 8

comp() { "$BACKPORT" complete "$1" "${#1}" 2>"$TEST_TMP/err"; }
words() { comp "$1" | tr '\n' ' ' | sed 's/ $//'; }

check "command names" [ "$(words 'backport p')" = "pick pack" ]
check "an option of the command, from its own table" [ "$(words 'backport apply --tr')" = "--tree" ]
comp 'backport check --' >"$TEST_TMP/out"
{ assert_stdout '^--tree-for$' && assert_stdout '^--pack$' && assert_stdout '^--json$' \
    && ! grep -q '^--tree-for-' "$TEST_TMP/out"; } && ok "every option of check" || not_ok "every option of check"
check "a line argument: the pack's lines and auto" [ "$(words 'backport apply 1')" = "11.0 10.2 10.1 10.0" ] \
    && [ "$(words 'backport apply a')" = "auto" ]
check "--pack: the packs" [ "$(words 'backport show --pack vf')" = "vfio-map-file-private" ]
check "a DIR option asks the shell for directories" [ "$(words 'backport apply --tree ')" = "__DIRS__" ]
check "after the line, no more lines" [ -z "$(words 'backport apply 10.2 ')" ]

# The bash script, as bash runs it on <TAB>
if command -v bash >/dev/null; then
    mkdir -p "$TEST_TMP/dir-a"
    out=$(cd "$TEST_TMP" && BACKPORT="$BACKPORT" bash -c '
        . "$1"
        complete -p backport >/dev/null || exit 1
        COMP_WORDS=("$BACKPORT" apply --tree dir-)
        COMP_CWORD=3
        COMP_LINE="$BACKPORT apply --tree dir-"
        COMP_POINT=${#COMP_LINE}
        _backport
        printf "%s\n" "${COMPREPLY[@]}"' - "$BP_SOURCE_DIR/completion/backport.bash")
    check "completion/backport.bash: bash completes a directory through it" [ "$out" = "dir-a" ]
else
    skip "no bash to run completion/backport.bash"
fi
finish
