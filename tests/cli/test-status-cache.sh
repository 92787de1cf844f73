# backport status and its status index (issue 14): a warm run reads no
# commit, and the answers stay those of a cold run when refs move, history
# is rewritten, a tag is added, the fix pack or the git pack changes, git's
# commit-graph is written, goes stale or is damaged, and when the index file
# itself is damaged (rebuilt with one line on stderr, never trusted).  And
# the repository is read, never written (issue 18).
. "$(dirname "$0")/libtest.sh"
command -v jq >/dev/null || plan_skip "jq is not installed (tools/install-deps.sh installs it)"
command -v git >/dev/null || plan_skip "git is not installed"
plan 19

export GIT_CONFIG_NOSYSTEM=1 HOME="$TEST_TMP" XDG_CACHE_HOME="$TEST_TMP/cache"
git config --global user.name T && git config --global user.email t@example.org

packs="$TEST_TMP/packs"
sh "$FIXTURES/gen-history.sh" --commits 600 --tags 25 --pack "$packs" --probe-keys "$TEST_TMP/origin.git" \
    >"$TEST_TMP/ids" 2>"$TEST_TMP/gen.err" || { cat "$TEST_TMP/gen.err" >&2; plan_skip "gen-history.sh failed"; }
. "$TEST_TMP/ids"
export BACKPORT_PACKS="$packs"
repo="$TEST_TMP/repo"
git clone -q "$TEST_TMP/origin.git" "$repo"
for b in stable-10.1 stable-10.2; do git -C "$repo" branch -q "$b" "origin/$b"; done
index_dir="$XDG_CACHE_HOME/backport/status"

expect() {
    if [ "$2" = "$3" ]; then return 0; fi
    diag "$1: got '$2', want '$3'"
    return 1
}
# warm: status with the index kept between runs; cold: with a fresh one.
# Both keep the JSON without .scan (time, commits read, graph source).
n=0
warm() { bp status --repo "$repo" --json "$@"; jq -S 'del(.scan)' "$TEST_TMP/out" >"$TEST_TMP/warm.json"; }
cold() {
    n=$((n + 1))
    rc_warm=$rc
    bp status --repo "$repo" --json --cache "$TEST_TMP/cold$n" "$@"
    jq -S 'del(.scan)' "$TEST_TMP/out" >"$TEST_TMP/cold.json"
    rc_cold=$rc
}
# same ANSWERS: the warm run equals a cold run, exit code included
same() {
    cold "$@"
    if cmp -s "$TEST_TMP/warm.json" "$TEST_TMP/cold.json" && [ "$rc_warm" = "$rc_cold" ]; then return 0; fi
    diag "warm and cold runs differ (exit $rc_warm vs $rc_cold):"
    diff "$TEST_TMP/warm.json" "$TEST_TMP/cold.json" | head -20 | sed 's/^/#   /' >&2
    return 1
}
read_count() { jq -r .read "$TEST_TMP/warm-scan.json"; }
keep_scan() { jq .scan "$TEST_TMP/out" >"$TEST_TMP/warm-scan.json"; }
ref() { jq -r --arg r "$1" ".lines[].refs[] | select(.ref == \$r) | $2" "$TEST_TMP/warm.json"; }
# every byte of the repository: objects, refs, packed-refs, index, config
fingerprint() { (cd "$repo" && find . -type f -print | LC_ALL=C sort | xargs sha256sum); }
fingerprint >"$TEST_TMP/repo.before"

bp status --repo "$repo" --json
keep_scan
jq -S 'del(.scan)' "$TEST_TMP/out" >"$TEST_TMP/first.json"
{ expect read "$(read_count)" "$(git -C "$repo" rev-list --count --all)" && [ -n "$(ls "$index_dir"/*.idx 2>/dev/null)" ] &&
  assert_one_line_error "refs are affected with the fix missing"; } \
    && ok "cold run: every commit read once, the index written under \$XDG_CACHE_HOME/backport/status" \
    || not_ok "cold run: every commit read once, the index written under \$XDG_CACHE_HOME/backport/status"

warm; keep_scan
fingerprint >"$TEST_TMP/repo.after"
{ expect read "$(read_count)" 0 && cmp -s "$TEST_TMP/warm.json" "$TEST_TMP/first.json" && same &&
  cmp -s "$TEST_TMP/repo.before" "$TEST_TMP/repo.after"; } \
    && ok "warm run: no commit read, the same answers; the repository byte-identical after both" \
    || not_ok "warm run: no commit read, the same answers; the repository byte-identical after both"

# a ref moves: the fix reverted on stable-10.1
git -C "$repo" checkout -q stable-10.1 && git -C "$repo" revert --no-edit "$fix_10_1" >/dev/null
warm; keep_scan
{ expect read "$(read_count)" 1 && expect v "$(ref stable-10.1 .verdict)" affected &&
  expect probe "$(ref stable-10.1 .probe.state)" buggy && same; } \
    && ok "a ref moved (a revert on stable-10.1): one commit read, affected, as a cold run says" \
    || not_ok "a ref moved (a revert on stable-10.1): one commit read, affected, as a cold run says"

# history rewritten (force-push): the revert dropped, another commit instead
git -C "$repo" reset -q --hard HEAD~1 && echo rewritten >"$repo/filler/rewritten.txt" &&
    git -C "$repo" add filler/rewritten.txt && git -C "$repo" commit -qm "filler: rewritten"
warm; keep_scan
{ expect read "$(read_count)" 1 && expect v "$(ref stable-10.1 .verdict)" fixed && same; } \
    && ok "history rewritten on stable-10.1: fixed again, as a cold run says" \
    || not_ok "history rewritten on stable-10.1: fixed again, as a cold run says"

# new tags, lightweight and annotated, on commits already known
git -C "$repo" tag v10.1.3 stable-10.1 && git -C "$repo" tag -a -m "v10.2.3 release" v10.2.3 stable-10.2
warm; keep_scan
{ expect read "$(read_count)" 0 && expect a "$(ref v10.1.3 .verdict)" fixed && expect b "$(ref v10.2.3 .verdict)" fixed && same; } \
    && ok "new tags: no commit read, both scanned, as a cold run says" \
    || not_ok "new tags: no commit read, both scanned, as a cold run says"

# the fix pack changes: its upstream id becomes known
cp -r "$packs" "$TEST_TMP/packs-up"
sed -i "s/^upstream=.*/upstream=$master_fix/" "$TEST_TMP/packs-up/vfio-map-file-private/fix.ini"
BACKPORT_PACKS="$TEST_TMP/packs-up" warm
{ expect how "$(ref master '.fix.evidence[0].how')" id && BACKPORT_PACKS="$TEST_TMP/packs-up" same; } \
    && ok "the fix pack changed (upstream id): found by id, as a cold run says" \
    || not_ok "the fix pack changed (upstream id): found by id, as a cold run says"

# the fix pack changes its files: another path set, examined again, then back
cp -r "$packs" "$TEST_TMP/packs-files"
sed -i '/^\[line 10.0\]/,/^\[/ s|^file=.*|file=hw/vfio/container-legacy.c|' "$TEST_TMP/packs-files/vfio-map-file-private/fix.ini"
BACKPORT_PACKS="$TEST_TMP/packs-files" warm
r1=$rc; cp "$TEST_TMP/warm.json" "$TEST_TMP/files.json"
BACKPORT_PACKS="$TEST_TMP/packs-files" same && ok_files=yes || ok_files=no
warm
{ [ "$ok_files" = yes ] && [ "$r1" = 1 ] && same; } \
    && ok "the fix pack's files changed, and changed back: both as cold runs say" \
    || not_ok "the fix pack's files changed, and changed back: both as cold runs say"

# the git pack changes: everything repacked into one new pack
git -C "$repo" repack -adq && git -C "$repo" prune-packed
warm; keep_scan
{ expect read "$(read_count)" 0 && same; } && ok "repacked: no commit read, the same answers" \
    || not_ok "repacked: no commit read, the same answers"

# git's commit-graph: written, then stale, then damaged, then split
git -C "$repo" commit-graph write --reachable
warm; keep_scan
{ jq -r .graph "$TEST_TMP/warm-scan.json" | grep -q "^commit-graph (" && expect read "$(read_count)" 0 && same; } \
    && ok "with git's commit-graph: parents from it, the same answers" \
    || not_ok "with git's commit-graph: parents from it, the same answers"

git -C "$repo" checkout -q stable-10.2 && git -C "$repo" revert --no-edit "$fix_10_2" >/dev/null
warm; keep_scan
{ expect read "$(read_count)" 1 && expect v "$(ref stable-10.2 .verdict)" affected &&
  ref stable-10.2 .why | grep -q "^fix commit $(echo "$fix_10_2" | cut -c1-12) present, but reverted by $(git -C "$repo" rev-parse --short=12 HEAD)" && same; } \
    && ok "a commit newer than the commit-graph (stale graph): read, the same answers" \
    || not_ok "a commit newer than the commit-graph (stale graph): read, the same answers"

cg="$repo/.git/objects/info/commit-graph"
chmod u+w "$cg"; printf 'X' | dd of="$cg" bs=1 seek=2000 conv=notrunc 2>/dev/null
warm; keep_scan
{ jq -r .graph "$TEST_TMP/warm-scan.json" | grep -q "^no commit-graph used (.*commit-graph is not used: its checksum does not match" &&
  expect read "$(read_count)" 0 && same; } \
    && ok "a damaged commit-graph is not used (checksum), the same answers" \
    || not_ok "a damaged commit-graph is not used (checksum), the same answers"
rm -f "$cg"
git -C "$repo" commit-graph write --reachable --split
warm; keep_scan
{ jq -r .graph "$TEST_TMP/warm-scan.json" | grep -q "^commit-graph (" && same; } \
    && ok "a split commit-graph chain: read, the same answers" || not_ok "a split commit-graph chain: read, the same answers"

# the index itself damaged: one line on stderr, rebuilt, never trusted
idx=$(ls "$index_dir"/*.idx)
damaged() {   # WHAT: damage the index, run, check
    warm
    { expect line "$(wc -l <"$TEST_TMP/err")" 2 && assert_stderr "^backport status: status index .* is corrupt (.*): not used, rebuilding it$" &&
      keep_scan && expect read "$(read_count)" "$(git -C "$repo" rev-list --count --all)" && same &&
      warm && expect err "$(grep -c corrupt "$TEST_TMP/err")" 0; }
}
printf '\377\377\377\377' | dd of="$idx" bs=1 seek=100000 conv=notrunc 2>/dev/null
damaged && ok "index with flipped bytes: one line, rebuilt (every commit read again), the same answers" \
    || not_ok "index with flipped bytes: one line, rebuilt (every commit read again), the same answers"
truncate -s 5000 "$idx"
damaged && ok "index cut short: one line, rebuilt" || not_ok "index cut short: one line, rebuilt"
head -c 70000 /dev/urandom >"$idx"
damaged && ok "index of random bytes: one line, rebuilt" || not_ok "index of random bytes: one line, rebuilt"
rm -f "$idx"; ln -s /dev/zero "$idx"
warm
{ assert_stderr "^backport status: status index .* cannot be read (not a regular file): rebuilding it$" && keep_scan && same &&
  [ -f "$idx" ] && [ ! -L "$idx" ]; } \
    && ok "index -> /dev/zero: refused before reading, one line, rebuilt" \
    || not_ok "index -> /dev/zero: refused before reading, one line, rebuilt"

# a cache that cannot be written: said once, the answers unchanged
: >"$TEST_TMP/not-a-dir"
bp status --repo "$repo" --json --cache "$TEST_TMP/not-a-dir"
jq -S 'del(.scan)' "$TEST_TMP/out" >"$TEST_TMP/warm.json"; rc_warm=$rc
{ assert_stderr "status index not written" && same; } \
    && ok "an unwritable cache: one line, the same answers" || not_ok "an unwritable cache: one line, the same answers"

# a read-only repository: read, never written
rm -rf "$TEST_TMP/ro" && cp -a "$repo" "$TEST_TMP/ro" && ro="$TEST_TMP/ro"
(cd "$ro" && find . -type f -print | LC_ALL=C sort | xargs sha256sum) >"$TEST_TMP/ro.before"
chmod -R a-w "$ro"
bp status --repo "$ro" --json --cache "$TEST_TMP/ro-cache"
rc1=$rc
bp status --repo "$ro" --json --cache "$TEST_TMP/ro-cache"
(cd "$ro" && find . -type f -print | LC_ALL=C sort | xargs sha256sum) >"$TEST_TMP/ro.after"
{ [ "$rc1" = 1 ] && assert_rc 1 && cmp -s "$TEST_TMP/ro.before" "$TEST_TMP/ro.after" &&
  expect new "$(cd "$ro" && find . -newer "$TEST_TMP/ro.before" | wc -l)" 0; } \
    && ok "a read-only repository (chmod -R a-w): status works, every file byte-identical, nothing new" \
    || not_ok "a read-only repository (chmod -R a-w): status works, every file byte-identical, nothing new"

# as root a-w does not stop writes: run as nobody, who really cannot write
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    # a copy nobody owns (libgit2, like git, refuses repositories of other
    # users) and cannot write: a read-only repository of its own
    pub="$TEST_TMP/pub"; mkdir -p "$pub" && cp "$BACKPORT" "$pub/backport" && cp -a "$ro" "$pub/repo" && cp -r "$packs" "$pub/packs"
    chmod 755 "$TEST_TMP" "$pub" && chmod -R a+rX "$pub" && chown -R nobody "$pub/repo" && chmod -R a-w "$pub/repo"
    (cd "$pub/repo" && find . -type f -print | LC_ALL=C sort | xargs sha256sum) >"$TEST_TMP/nobody.before"
    rc=0
    setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/nonexistent XDG_CACHE_HOME="$pub/cache-nobody" \
        BACKPORT_PACKS="$pub/packs" "$pub/backport" status --repo "$pub/repo" --json >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
    (cd "$pub/repo" && find . -type f -print | LC_ALL=C sort | xargs sha256sum) >"$TEST_TMP/nobody.after"
    { assert_rc 1 && cmp -s "$TEST_TMP/nobody.before" "$TEST_TMP/nobody.after" &&
      expect verdict "$(jq -r '.lines[].refs[] | select(.ref == "master") | .verdict' "$TEST_TMP/out")" fixed &&
      assert_stderr "status index not written"; } \
        && ok "as a user who cannot write the repository (nor a cache): status works, nothing written" \
        || not_ok "as a user who cannot write the repository (nor a cache): status works, nothing written"
    chmod -R u+w "$pub"
else
    skip "not root (or no setpriv): chmod -R a-w above already stops this user's writes"
fi
chmod -R u+w "$ro"
finish
