#!/bin/sh
# backport pack new on a generated master + stable history: a pack for any
# fix, from a commit or a mail; each line's verdict and series; the pack is
# found beside the bundled one, verified end to end with verify --pack, and
# exported; bad input refused with nothing half-written and the repository
# untouched.
. "$(dirname "$0")/libtest.sh"
plan 16

R=$TEST_TMP/repo
sh "$FIXTURES/gen-pick-history.sh" "$R" >/dev/null
id() { sed -n "s/^$1=//p" "$R/.git/pick-ids"; }
P=$TEST_TMP/packs
ini() { sed -n "/^\[line $2\]/,/^\[/p" "$P/$1/fix.ini"; }
# what a repository is: its refs, its objects, its index and work tree
repo_state() { git -C "$R" for-each-ref --format='%(refname) %(objectname)'; git -C "$R" count-objects -v | grep -v size;
               git -C "$R" status --porcelain; }
repo_state >"$TEST_TMP/repo.before"

# ---- a pack from a commit --------------------------------------------------------
bp pack new scale --from "$(id fix_needed)" --repo "$R" --packs "$P"
{ assert_rc 0 && assert_stdout "^fix pack scale written to $P/scale (culprit $(id culprit_old | cut -c1-12))" \
    && grep -qx "upstream=$(id fix_needed)" "$P/scale/fix.ini" && grep -qx "culprit=$(id culprit_old)" "$P/scale/fix.ini"; } \
    && ok "pack new: identity, upstream and the culprit from the Fixes: trailer" \
    || not_ok "pack new: identity, upstream and the culprit from the Fixes: trailer"
{ ini scale 1.1 | grep -qx 'verdict=affected' && ini scale 1.1 | grep -qx "fixed-by=$(id fix_needed)" \
    && [ ! -e "$P/scale/1.1" ]; } \
    && ok "the line whose tag has the fix: affected, fixed-by, no series" \
    || not_ok "the line whose tag has the fix: affected, fixed-by, no series"
{ ini scale 0.9 | grep -qx 'verdict=not-affected' && ini scale 0.9 | grep -q '^note=the culprit is not in v0.9.0'; } \
    && ok "the line before the culprit: not-affected, and why" || not_ok "the line before the culprit: not-affected, and why"
patch=$(ls "$P"/scale/1.0/*.patch 2>/dev/null | head -n 1)
{ ini scale 1.0 | grep -qx 'verdict=affected' && ini scale 1.0 | grep -q '^note=picked onto v1.0.1: context fix in a.c' \
    && [ "$(cat "$P/scale/1.0/series")" = "$(basename "$patch")" ] \
    && grep -q "^(cherry picked from commit $(id fix_needed))" "$patch"; } \
    && ok "the stable line: a series of the picked fix, with the cherry-pick line and the note" \
    || not_ok "the stable line: a series of the picked fix, with the cherry-pick line and the note"

repo_state >"$TEST_TMP/repo.after"
check "the repository is not written (refs, objects, index, work tree)" cmp -s "$TEST_TMP/repo.before" "$TEST_TMP/repo.after"

# The series is what git am takes, and gives what pick gives.
W=$TEST_TMP/work
git clone -q "$R" "$W" && git -C "$W" checkout -q v1.0.1
git -C "$W" -c user.name=t -c user.email=t@example.org am -q "$patch" 2>"$TEST_TMP/am.err"
bp pick --repo "$R" --onto v1.0.1 --json "$(id fix_needed)"
{ [ "$(git -C "$W" rev-parse HEAD^{tree})" = "$(jq -r '.picks[0].tree' "$TEST_TMP/out")" ]; } \
    && ok "git am of the series gives the tree pick gives" \
    || { sed 's/^/# /' "$TEST_TMP/am.err"; not_ok "git am of the series gives the tree pick gives"; }


# ---- a pack from a mail -------------------------------------------------------------
git -C "$R" format-patch -q -1 --stdout "$(id fix_needed)" >"$TEST_TMP/fix.mbox"
bp pack new scale-mail --from "$TEST_TMP/fix.mbox" --repo "$R" --packs "$P"
mail_patch=$(ls "$P"/scale-mail/1.0/*.patch 2>/dev/null | head -n 1)
{ assert_rc 0 && grep -qx "upstream=$(id fix_needed)" "$P/scale-mail/fix.ini" \
    && ini scale-mail 1.1 | grep -qx "fixed-by=$(id fix_needed)" \
    && [ "$(sed -n '/^diff --git/,$p' "$mail_patch")" = "$(sed -n '/^diff --git/,$p' "$patch")" ]; } \
    && ok "from a mail: the upstream commit found by patch-id, the same series" \
    || not_ok "from a mail: the upstream commit found by patch-id, the same series"

# ---- a line that needs a human -----------------------------------------------------
bp pack new clash --from "$(id conflict)" --culprit "$(id culprit_old)" --repo "$R" --packs "$P"
{ assert_rc 1 && assert_one_line_error "pack clash written, but 1 of 3 lines need a human" \
    && ini clash 1.0 | grep -q '^needs-human=a.c hunk #1' && [ ! -e "$P/clash/1.0" ]; } \
    && ok "a pick that does not fit: pack written, needs-human= says why, exit 1" \
    || not_ok "a pick that does not fit: pack written, needs-human= says why, exit 1"

# ---- refused, nothing half-written ---------------------------------------------------
ls -A "$P" >"$TEST_TMP/packs.before"
sum_before=$(cat "$P"/scale/fix.ini "$P"/scale/1.0/* | cksum)
bp pack new scale --from "$(id fix_needed)" --repo "$R" --packs "$P"
{ assert_rc 3 && assert_one_line_error "$P/scale exists; pass --force to replace it" \
    && [ "$(cat "$P"/scale/fix.ini "$P"/scale/1.0/* | cksum)" = "$sum_before" ]; } \
    && ok "an existing pack: refused, unchanged" || not_ok "an existing pack: refused, unchanged"
bp pack new other --from "$(id two_files)" --repo "$R" --packs "$P"
{ assert_rc 3 && assert_one_line_error "has no Fixes: trailer naming the commit that brought the bug: name the culprit with --culprit COMMIT"; } \
    && ok "no Fixes: trailer: one line naming --culprit" || not_ok "no Fixes: trailer: one line naming --culprit"
bp pack new a/b --from "$(id fix_needed)" --repo "$R" --packs "$P"
{ assert_rc 3 && assert_one_line_error "'a/b' is not a pack name"; } \
    && ok "a pack name with a slash is refused" || not_ok "a pack name with a slash is refused"
bp pack new nothing --from "$TEST_TMP/no-such.mbox" --repo "$R" --packs "$P"
{ assert_rc 3 && assert_one_line_error "no-such.mbox: not a file, a commit or a range of the repository" \
    && ls -A "$P" | cmp -s - "$TEST_TMP/packs.before"; } \
    && ok "refusals leave no pack and no temporary directory" || not_ok "refusals leave no pack and no temporary directory"
bp pack new scale --force --from "$(id fix_needed)" --repo "$R" --packs "$P"
{ assert_rc 0 && [ "$(cat "$P"/scale/fix.ini "$P"/scale/1.0/* | cksum)" = "$sum_before" ] \
    && ls -A "$P" | cmp -s - "$TEST_TMP/packs.before"; } \
    && ok "--force replaces it, the same pack again" || not_ok "--force replaces it, the same pack again"

# ---- the user's packs: found beside the bundled one ------------------------------------
bp pack new scale --from "$(id fix_needed)" --repo "$R"
{ assert_rc 0 && [ -f "$XDG_DATA_HOME/backport/packs/scale/fix.ini" ]; } \
    && bp list && assert_stdout '^fix pack scale ' && assert_stdout '^fix pack vfio-map-file-private ' \
    && bp show --pack scale 1.0 && assert_rc 0 && assert_stdout 'a: scale alpha by two again' \
    && ok "by default in \$XDG_DATA_HOME/backport/packs; list and show find it beside the bundled pack" \
    || not_ok "by default in \$XDG_DATA_HOME/backport/packs; list and show find it beside the bundled pack"

# ---- verify --pack: every step on the pack's own lines ---------------------------------
export XDG_CACHE_HOME="$TEST_TMP/xdg-cache"
bp verify --pack scale --repo "$R" --json
cell() { jq -r ".lines[] | select(.line == \"$1\") | .steps.$2.cell" "$TEST_TMP/out"; }
{ [ "$(cell 1.0 status)" = "affected, fix missing" ] && [ "$(cell 1.0 apply)" = "applies (exact)" ] \
    && [ "$(cell 1.0 bisect)" = "$(id culprit_old | cut -c1-12) (the culprit)" ] \
    && [ "$(cell 1.1 status)" = "fix already in (content)" ] && [ "$(cell 0.9 status)" = "not affected (proven)" ] \
    && [ "$(cell 1.0 repro)" = "no reproducer in pack" ]; } \
    && ok "verify --pack: status per line, the series applies, bisect lands on the culprit" \
    || { jq -c '.lines[] | [.line, (.steps | map_values(.cell))]' "$TEST_TMP/out" | sed 's/^/# /'; \
         not_ok "verify --pack: status per line, the series applies, bisect lands on the culprit"; }
unset XDG_CACHE_HOME

# ---- export --pack --------------------------------------------------------------------
bp export --pack scale --format dep3 -o "$TEST_TMP/quilt" 1.0
q=$(ls "$TEST_TMP"/quilt/patches/*.patch 2>/dev/null | head -n 1)
{ assert_rc 0 && [ -n "$q" ] && grep -q "^Origin: .*$(id fix_needed)" "$q" \
    && grep -qx "$(basename "$q")" "$TEST_TMP/quilt/patches/series"; } \
    && ok "export --pack --format dep3: Origin the upstream commit" \
    || not_ok "export --pack --format dep3: Origin the upstream commit"

finish
