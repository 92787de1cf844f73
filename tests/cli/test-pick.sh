#!/bin/sh
# backport pick on a generated master + stable history: every verdict,
# renames and moved functions followed, queues, all or nothing, --onto
# touching nothing but objects, --branch, --tree, hostile mails.
. "$(dirname "$0")/libtest.sh"
plan 32

R=$TEST_TMP/repo
sh "$FIXTURES/gen-pick-history.sh" "$R" >/dev/null
id() { sed -n "s/^$1=//p" "$R/.git/pick-ids"; }
# pick onto stable-1.0 in the object database, as JSON
onto() { bp pick --repo "$R" --onto stable-1.0 --json "$@"; }
pick0() { jq -r ".picks[0]$1" "$TEST_TMP/out"; }
picks() { jq -r "[.picks[]$1] | join(\" \")" "$TEST_TMP/out"; }
# the content of PATH in the tree the last pick left
result() { git -C "$R" show "$(jq -r .tree "$TEST_TMP/out"):$1"; }

# ---- verdicts ------------------------------------------------------------------
onto "$(id culprit_old)"
check "present by ancestry" sh -c '[ "$(jq -r ".picks[0].verdict + \" \" + .picks[0].evidence[0].how" "$1")" = "present ancestry" ]' - "$TEST_TMP/out"
onto "$(id picked_x)"
{ assert_rc 0 && [ "$(pick0 .verdict)" = present ] && [ "$(pick0 '.evidence[0].how')" = cherry-pick ]; } \
    && ok "present by a cherry-pick trailer" || not_ok "present by a cherry-pick trailer"
onto "$(id picked_pid)"
{ assert_rc 0 && [ "$(pick0 .verdict)" = present ] && [ "$(pick0 '.evidence[0].how')" = patch-id ]; } \
    && ok "present by patch-id (picked without -x)" || not_ok "present by patch-id (picked without -x)"
onto "$(id fix_not_needed)"
{ assert_rc 0 && [ "$(pick0 .verdict)" = not-needed ] && [ "$(pick0 '.evidence[0].commit')" = "$(id culprit_new)" ]; } \
    && ok "not-needed: its Fixes: commit is not on the line" || not_ok "not-needed: its Fixes: commit is not on the line"
onto --force "$(id fix_not_needed)"
{ [ "$(pick0 .verdict)" != not-needed ]; } && ok "--force picks a not-needed fix anyway" || not_ok "--force picks a not-needed fix anyway"
onto "$(id fix_needed)"
{ assert_rc 0 && [ "$(pick0 .verdict)" = applied ] && result a.c | grep -q 'y = y \* 2;' \
    && ! result a.c | grep -q 'bug'; } && ok "applied: the fix is in the result tree" || not_ok "applied: the fix is in the result tree"
onto "$(id conflict)"
{ assert_rc 1 && [ "$(pick0 .verdict)" = needs-human ] && pick0 .why | grep -q '^a.c hunk #1' \
    && pick0 .conflict | grep -q '^<<<<<<< target' && pick0 .conflict | grep -q '^||||||| parent of' \
    && pick0 .conflict | grep -q '^>>>>>>> '; } \
    && ok "needs-human: exit 1, the hunk, why, and diff3 text" || not_ok "needs-human: exit 1, the hunk, why, and diff3 text"
bp pick --repo "$R" --onto stable-1.0 "$(id conflict)"
{ assert_rc 1 && assert_stdout 'needs-human' && assert_stdout '^<<<<<<< target' && assert_stderr '1 of 1 picks need a human'; } \
    && ok "needs-human in the text report: the conflict as diff3 text" || not_ok "needs-human in the text report: the conflict as diff3 text"

# ---- placements ------------------------------------------------------------------
onto "$(id fix_renamed)"
{ [ "$(pick0 '.files[0].target_path')" = lib/old.c ] && result lib/old.c | grep -q 'g \*= 6;' \
    && ! git -C "$R" cat-file -e "$(jq -r .tree "$TEST_TMP/out"):lib/new.c" 2>/dev/null; } \
    && ok "a rename on master is followed: the fix lands in lib/old.c" || not_ok "a rename on master is followed: the fix lands in lib/old.c"
onto "$(id fix_moved)"
{ [ "$(pick0 '.files[0].target_path')" = a.c ] && pick0 '.files[0].why' | grep -q 'beta() is defined in a.c' \
    && result a.c | grep -q 'z = z / 4;'; } \
    && ok "a moved function is followed to the file defining it" || not_ok "a moved function is followed to the file defining it"
onto "$(id context_fix)"
{ assert_rc 0 && [ "$(pick0 '.hunks[0].how')" = context ] && result a.c | grep -q 'w -= 2;' \
    && result a.c | grep -q 'return w + 0;  /\* stable \*/'; } \
    && ok "context fix: changed lines placed, the tree's other context kept" || not_ok "context fix: changed lines placed, the tree's other context kept"
onto "$(id offset_fix)"
{ [ "$(pick0 '.hunks[0].how')" = offset ] && [ "$(pick0 '.hunks[0].offset')" -gt 0 ] && pick0 .how | grep -q '^offset'; } \
    && ok "offset: reported per hunk" || not_ok "offset: reported per hunk"

# ---- queues ------------------------------------------------------------------
onto "$(id helper_use)"
check "a pick whose context needs an earlier fix needs a human alone" [ "$(pick0 .verdict)" = needs-human ]
onto "$(id helper_add)" "$(id helper_use)"
{ assert_rc 0 && [ "$(picks .verdict)" = "applied applied" ] && result b.c | grep -q 'return h(x) \* 2;'; } \
    && ok "a queue: pick 2 goes onto pick 1's result" || not_ok "a queue: pick 2 goes onto pick 1's result"
onto "$(id fix_needed)" "$(id fix_needed)"
check "a commit picked twice in one queue is present the second time" [ "$(picks .verdict)" = "applied present" ]
onto "$(id helper_add)..$(id helper_use)"
check "a range A..B, oldest first" [ "$(picks .commit)" = "$(id helper_use)" ]
git -C "$R" tag -f for-range "$(id culprit_old)" >/dev/null
onto --trailer '^Fixes:' "for-range..$(id fix_not_needed)"
check "--trailer picks only the commits whose message matches" [ "$(picks .commit)" = "$(id fix_needed) $(id fix_not_needed)" ]

# ---- --onto touches objects only; --branch --------------------------------------
state() { (cd "$R" && find . -path ./.git/objects -prune -o -type f -print | sort | xargs sha256sum; git -C "$R" for-each-ref) ; }
state >"$TEST_TMP/before"
onto "$(id fix_needed)" "$(id conflict)" "$(id fix_renamed)"
state >"$TEST_TMP/after"
check "--onto leaves refs, index and work tree byte-identical" cmp -s "$TEST_TMP/before" "$TEST_TMP/after"
bp pick --repo "$R" --onto stable-1.0 --branch picked "$(id fix_needed)" "$(id context_fix)"
head=$(git -C "$R" rev-parse -q --verify picked || true)
{ assert_rc 0 && [ -n "$head" ] && [ "$(git -C "$R" rev-list --count stable-1.0..picked)" = 2 ] \
    && [ "$(git -C "$R" log -1 --format='%an %aI' picked)" = "$(git -C "$R" log -1 --format='%an %aI' "$(id context_fix)")" ] \
    && git -C "$R" log -1 --format=%B picked | grep -q "^(cherry picked from commit $(id context_fix))$" \
    && git -C "$R" log -1 --format=%B picked | grep -q '^(backport: context fix in a.c)$'; } \
    && ok "--branch: a commit per pick, author and date kept, cherry-pick line and backport note" \
    || not_ok "--branch: a commit per pick, author and date kept, cherry-pick line and backport note"
bp pick --repo "$R" --onto stable-1.0 --branch picked "$(id fix_renamed)"
{ assert_rc 3 && assert_one_line_error 'branch picked already exists' && [ "$(git -C "$R" rev-parse picked)" = "$head" ]; } \
    && ok "--branch refuses an existing name, and moves nothing" || not_ok "--branch refuses an existing name, and moves nothing"

# ---- --tree: a git work tree and a plain tree, all or nothing per pick ------------
W=$TEST_TMP/work
git clone -q -b stable-1.0 "$R" "$W"
git -C "$W" config user.name "Stable Maintainer" && git -C "$W" config user.email "stable@example.org"
bp pick --repo "$R" --tree "$W" "$(id fix_needed)"
{ assert_rc 0 && [ "$(git -C "$W" rev-list --count origin/stable-1.0..HEAD)" = 1 ] \
    && git -C "$W" log -1 --format=%B | grep -q "^(cherry picked from commit $(id fix_needed))$" \
    && [ -z "$(git -C "$W" status --porcelain)" ]; } \
    && ok "--tree on a git work tree: one commit, clean status" || not_ok "--tree on a git work tree: one commit, clean status"
git -C "$W" rev-parse HEAD >"$TEST_TMP/head"
sum_tree() { (cd "$1" && find . -path ./.git -prune -o -type f -print | sort | xargs sha256sum); }
sum_tree "$W" >"$TEST_TMP/w.before"
bp pick --repo "$R" --tree "$W" "$(id two_files)"
{ assert_rc 1 && sum_tree "$W" | cmp -s - "$TEST_TMP/w.before" && [ "$(git -C "$W" rev-parse HEAD)" = "$(cat "$TEST_TMP/head")" ]; } \
    && ok "all or nothing: a pick with one conflicting file changes no file" || not_ok "all or nothing: a pick with one conflicting file changes no file"
P=$TEST_TMP/plain
git -C "$R" archive stable-1.0 | (mkdir -p "$P" && tar -x -C "$P")
bp pick --repo "$R" --tree "$P" "$(id fix_renamed)" "$(id context_fix)"
{ assert_rc 0 && grep -q 'g \*= 6;' "$P/lib/old.c" && grep -q 'w -= 2;' "$P/a.c" && [ ! -e "$P/.git" ]; } \
    && ok "--tree on a plain tree: the files, no .git made" || not_ok "--tree on a plain tree: the files, no .git made"

# ---- mails ----------------------------------------------------------------------
git -C "$R" format-patch -q -1 --stdout "$(id context_fix)" >"$TEST_TMP/fix.patch"
bp pick --repo "$R" --onto stable-1.0 --json "$TEST_TMP/fix.patch"
{ assert_rc 0 && [ "$(pick0 .verdict)" = applied ] && result a.c | grep -q 'w -= 2;'; } \
    && ok "a mail picks like its commit (blobs of the index line found in the repository)" \
    || not_ok "a mail picks like its commit (blobs of the index line found in the repository)"
# The mail of a commit master has, picked onto master's tag: it is there,
# though no commit id says so and later edits moved its lines.
git -C "$R" format-patch -q -1 --stdout "$(id fix_needed)" >"$TEST_TMP/needed.patch"
bp pick --repo "$R" --onto v1.1.0 --json "$TEST_TMP/needed.patch"
{ assert_rc 0 && [ "$(pick0 .verdict)" = present ] && [ "$(pick0 '.evidence[0].how')" = patch-id ] \
    && [ "$(pick0 '.evidence[0].commit')" = "$(id fix_needed)" ]; } \
    && ok "a mail whose commit the target has: present by patch-id, the commit named" \
    || not_ok "a mail whose commit the target has: present by patch-id, the commit named"
sed 's|a/a\.c|a/../evil.c|; s|b/a\.c|b/../evil.c|' "$TEST_TMP/fix.patch" >"$TEST_TMP/evil.patch"
sum_tree "$P" >"$TEST_TMP/p.before"
bp pick --tree "$P" "$TEST_TMP/evil.patch"
{ assert_rc 3 && assert_one_line_error "refusing path '\.\./evil\.c'" && sum_tree "$P" | cmp -s - "$TEST_TMP/p.before" \
    && [ ! -e "$TEST_TMP/evil.c" ]; } \
    && ok "a hostile path in a mail is refused, nothing written" || not_ok "a hostile path in a mail is refused, nothing written"

# ---- --check: compile with the target's own build ------------------------------------
C=$TEST_TMP/build-repo
if command -v meson >/dev/null && command -v ninja >/dev/null && command -v cc >/dev/null; then
    git init -q -b master "$C"
    git -C "$C" config user.name "Fixture Author" && git -C "$C" config user.email "author@example.org"
    printf "project('hello', 'c')\nexecutable('hello', 'hello.c', 'util.c')\n" >"$C/meson.build"
    printf 'int util_add(int a, int b);\n' >"$C/util.h"
    printf '#include "util.h"\nint util_add(int a, int b) { return a + b; }\n' >"$C/util.c"
    printf '#include <stdio.h>\n#include "util.h"\n\nint main(void)\n{\n  int sum = util_add(1, 2);\n  printf("%%d\\n", sum);\n  return 0;\n}\n' >"$C/hello.c"
    git -C "$C" add -A && git -C "$C" commit -qm "hello" && git -C "$C" branch stable
    printf 'int util_mul(int a, int b);\n' >>"$C/util.h"
    printf 'int util_mul(int a, int b) { return a * b; }\n' >>"$C/util.c"
    git -C "$C" commit -qam "util: add util_mul()"; add_mul=$(git -C "$C" rev-parse HEAD)
    sed -i 's/util_add(1, 2)/util_mul(1, 2)/' "$C/hello.c"
    git -C "$C" commit -qam "hello: multiply"; use_mul=$(git -C "$C" rev-parse HEAD)
    stable_tree=$(git -C "$C" rev-parse 'stable^{tree}')
    export XDG_CACHE_HOME="$TEST_TMP/xdg-cache"
    bp pick --repo "$C" --onto stable --check --json "$use_mul"
    { assert_rc 1 && [ "$(pick0 .verdict)" = needs-human ] && pick0 .why | grep -q "^does not compile: .*util_mul" \
        && [ "$(jq -r .tree "$TEST_TMP/out")" = "$stable_tree" ]; } \
        && ok "--check: a pick that does not compile against the line needs a human, nothing written" \
        || not_ok "--check: a pick that does not compile against the line needs a human, nothing written"
    bp pick --repo "$C" --onto stable --check --json "$add_mul" "$use_mul"
    { assert_rc 0 && [ "$(picks .verdict)" = "applied applied" ] \
        && [ "$(picks .check)" = "compiles before and after compiles before and after" ]; } \
        && ok "--check: with the helper picked first, both compile" || not_ok "--check: with the helper picked first, both compile"
    W2=$TEST_TMP/build-work
    git clone -q -b stable "$C" "$W2" && git -C "$W2" config user.name T && git -C "$W2" config user.email t@example.org
    sum_tree "$W2" >"$TEST_TMP/w2.before"
    bp pick --repo "$C" --tree "$W2" --check "$use_mul"
    { assert_rc 1 && assert_stdout 'does not compile' && sum_tree "$W2" | cmp -s - "$TEST_TMP/w2.before"; } \
        && ok "--check --tree: the tree stays as it was" || not_ok "--check --tree: the tree stays as it was"
    bp pick --repo "$C" --tree "$W2" --check "$add_mul"
    { assert_rc 0 && assert_stdout 'compiles before and after' && grep -q util_mul "$W2/util.c"; } \
        && ok "--check --tree: a pick that compiles is applied" || not_ok "--check --tree: a pick that compiles is applied"
    unset XDG_CACHE_HOME
else
    for i in 1 2 3 4; do skip "--check needs meson, ninja and a C compiler"; done
fi

# ---- usage and bad input -----------------------------------------------------------
bp pick --repo "$R" --onto stable-1.0 no-such-commit
{ assert_rc 3 && assert_one_line_error "no-such-commit: not a file, a commit or a range"; } \
    && ok "an unknown PICK: exit 3, one line" || not_ok "an unknown PICK: exit 3, one line"
bp pick --repo "$R" "$(id fix_needed)"
{ assert_rc 2 && assert_one_line_error "give one target"; } && ok "no target: usage, exit 2" || not_ok "no target: usage, exit 2"

finish
