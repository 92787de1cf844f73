# backport status on synthetic histories (tests/fixtures/gen-history.sh):
# every verdict kind and every kind of evidence, asserted on the JSON.
. "$(dirname "$0")/libtest.sh"
command -v jq >/dev/null || plan_skip "jq is not installed (tools/install-deps.sh installs it)"
command -v git >/dev/null || plan_skip "git is not installed"
plan 45

# the Debian trees come from the shared fetch cache, found before HOME moves
export BP_TEST_CACHE="${BP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backport-tests}"
export GIT_CONFIG_NOSYSTEM=1 HOME="$TEST_TMP" XDG_CACHE_HOME="$TEST_TMP/cache"
git config --global user.name T && git config --global user.email t@example.org
git config --global protocol.file.allow always

repo="$TEST_TMP/repo.git"
packs="$TEST_TMP/packs"
sh "$FIXTURES/gen-history.sh" --commits 600 --tags 25 --pack "$packs" --probe-keys "$repo" >"$TEST_TMP/ids" 2>"$TEST_TMP/gen.err" \
    || { cat "$TEST_TMP/gen.err" >&2; plan_skip "gen-history.sh failed"; }
. "$TEST_TMP/ids"
export BACKPORT_PACKS="$packs"

# j FILTER: jq on the last JSON output
j() { jq -r "$1" "$TEST_TMP/out"; }
# ref REF KEY: a field of one ref
ref() { jq -r --arg r "$1" ".lines[].refs[] | select(.ref == \$r) | $2" "$TEST_TMP/out"; }
# expect WHAT GOT WANT
expect() {
    if [ "$2" = "$3" ]; then return 0; fi
    diag "$1: got '$2', want '$3'"
    return 1
}

bp status --repo "$repo" --json
{ assert_rc 1 && assert_one_line_error "are affected with the fix missing"; } \
    && ok "affected refs: exit 1, one line saying how many" || not_ok "affected refs: exit 1, one line saying how many"
cp "$TEST_TMP/out" "$TEST_TMP/all.json"

# the verdict of every scanned ref that matters
verdicts_ok=true
for pair in master=fixed stable-11.0=fixed v11.0.2=fixed v11.0.1=affected v11.0.0=affected \
        staging-11.1=unknown stable-10.2=fixed v10.2.2=fixed v10.2.1=affected v10.2.0=affected \
        stable-10.1=fixed v10.1.2=fixed v10.1.1=affected v10.1.0=affected v10.1.0-rc0=affected \
        stable-10.0=not-affected v10.0.3=not-affected v10.0.0=not-affected staging-10.0=affected \
        stable-9.2=not-affected v9.2.2=not-affected v9.2.0=not-affected staging-9.2=affected \
        v1.0.0=not-affected v1.0.1=not-affected; do
    expect "${pair%%=*}" "$(ref "${pair%%=*}" .verdict)" "${pair#*=}" || verdicts_ok=false
done
$verdicts_ok && ok "verdict of every ref (all four kinds)" || not_ok "verdict of every ref (all four kinds)"

{ expect refs "$(j .scan.refs)" "$(git --git-dir="$repo" for-each-ref refs/tags/v* refs/heads/stable-* refs/heads/staging-* refs/heads/master | wc -l)" &&
  expect commits "$(j .scan.commits)" "$(git --git-dir="$repo" rev-list --count --all)" &&
  expect history "$(j .history)" true; } \
    && ok "scan covers every default ref and every commit once" || not_ok "scan covers every default ref and every commit once"

{ expect how "$(ref master '.culprit.evidence[0].how')" id &&
  expect commit "$(ref master '.culprit.evidence[0].commit')" "$culprit" &&
  expect first "$(ref master '.culprit.evidence[0].first_tag')" v10.1.0-rc0 &&
  expect top "$(j .culprit_first_tag)" v10.1.0-rc0; } \
    && ok "culprit by ancestry (through a merge), first tag v10.1.0-rc0" || not_ok "culprit by ancestry (through a merge), first tag v10.1.0-rc0"

{ expect how "$(ref staging-10.0 '.culprit.evidence[0].how')" patch-id &&
  expect commit "$(ref staging-10.0 '.culprit.evidence[0].commit')" "$culprit_pid" &&
  expect n "$(ref staging-10.0 '.culprit.evidence | length')" 1; } \
    && ok "culprit picked with the same patch-id only (no trailer)" || not_ok "culprit picked with the same patch-id only (no trailer)"

{ expect how "$(ref staging-9.2 '.culprit.evidence[0].how')" cherry-pick &&
  expect commit "$(ref staging-9.2 '.culprit.evidence[0].commit')" "$culprit_pick" &&
  expect detail "$(ref staging-9.2 '.culprit.evidence[0].detail')" "cherry picked from commit $culprit"; } \
    && ok "culprit picked with a (cherry picked from commit) trailer" || not_ok "culprit picked with a (cherry picked from commit) trailer"

{ expect present "$(ref stable-10.0 .culprit.present)" false &&
  expect probe "$(ref stable-10.0 .probe.state)" clean &&
  expect present "$(ref v9.2.2 .culprit.present)" false; } \
    && ok "not affected: culprit absent and no by-file branch" || not_ok "not affected: culprit absent and no by-file branch"

{ expect by "$(ref master .fixed_by)" "$master_fix" &&
  expect how "$(ref master '.fix.evidence[0].how')" trailers; } \
    && ok "fix on master found by its subject and Fixes: trailer" || not_ok "fix on master found by its subject and Fixes: trailer"

{ expect by "$(ref stable-11.0 .fixed_by)" "$fix_11_0" &&
  expect how "$(ref stable-11.0 '.fix.evidence[0].how')" cherry-pick &&
  expect first "$(ref stable-11.0 '.fix.evidence[0].first_tag')" v11.0.2 &&
  expect old "$(ref v11.0.1 .fix.present)" false; } \
    && ok "fix picked to stable-11.0 with a trailer (drifted context)" || not_ok "fix picked to stable-11.0 with a trailer (drifted context)"

{ expect by "$(ref stable-10.2 .fixed_by)" "$fix_10_2" &&
  expect how "$(ref stable-10.2 '.fix.evidence[0].how')" patch-id &&
  ref stable-10.2 '.fix.evidence[0].detail' | grep -q "same patch-id as .*line 10.2's 0001-fix.patch"; } \
    && ok "fix on stable-10.2 found by patch-id only" || not_ok "fix on stable-10.2 found by patch-id only"

{ expect present "$(ref stable-10.1 .fix.present)" false &&
  expect by "$(ref stable-10.1 .fixed_by)" null &&
  expect state "$(ref stable-10.1 .probe.state)" fixed &&
  expect file "$(ref stable-10.1 .probe.file)" hw/vfio/container-base.c; } \
    && ok "fix on stable-10.1 with drifted context: found by content only" || not_ok "fix on stable-10.1 with drifted context: found by content only"

{ expect state "$(ref staging-11.1 .probe.state)" clean &&
  expect culprit "$(ref staging-11.1 .culprit.present)" true &&
  ref staging-11.1 .why | grep -q "reworked"; } \
    && ok "unknown says why: culprit here, by-file branch reworked away" || not_ok "unknown says why: culprit here, by-file branch reworked away"

{ expect f102 "$(ref v10.2.0 .probe.file)" hw/vfio/container.c &&
  expect f101 "$(ref v10.1.1 .probe.file)" hw/vfio/container-base.c &&
  expect s101 "$(ref v10.1.1 .probe.state)" buggy; } \
    && ok "rename: 10.2 probes container.c, 10.1 container-base.c (not the legacy container.c)" \
    || not_ok "rename: 10.2 probes container.c, 10.1 container-base.c (not the legacy container.c)"

{ expect rc0 "$(ref v10.1.0-rc0 .line)" 10.1 && expect vrc0 "$(ref v10.1.0-rc0 .version)" 10.0.90 &&
  expect old "$(ref v1.0.0 .line)" null && expect v "$(ref stable-10.2 .version)" 10.2.2; } \
    && ok "line from VERSION at each ref (rc -> next line, no line for old versions)" \
    || not_ok "line from VERSION at each ref (rc -> next line, no line for old versions)"

expect order "$(j '[.lines[].line] | join(",")')" "11.0,10.2,10.1,10.0,9.2," \
    && ok "grouped by line, newest first, lineless last" || not_ok "grouped by line, newest first, lineless last"

expect order "$(j '[.lines[] | select(.line == "10.2") | .refs[].ref] | join(",")')" "stable-10.2,v10.2.2,v10.2.1,v10.2.0" \
    && ok "within a line: branches, then tags newest first" || not_ok "within a line: branches, then tags newest first"

bp status --repo "$repo"
{ assert_rc 1 && assert_stdout '^line 10.1' && assert_stdout '^  v10.1.1 .*AFFECTED, fix missing' &&
  assert_stdout "^  stable-10.2 .*fixed by $(echo "$fix_10_2" | cut -c1-12)" && assert_stdout '^    why: .*reworked'; } \
    && ok "text table grouped by line" || not_ok "text table grouped by line"

bp status --repo "$repo" --refs 'v10.0.*' stable-10.0 --json
{ assert_rc 0 && expect n "$(j .scan.refs)" 5 && expect v "$(j '[.lines[].refs[].verdict] | unique | join(",")')" not-affected; } \
    && ok "--refs globs and names; nothing affected: exit 0" || not_ok "--refs globs and names; nothing affected: exit 0"

bp status --repo "$repo" --refs "$culprit_pick" --json
{ assert_rc 1 && expect kind "$(j '.lines[].refs[0].kind')" commit && expect how "$(j '.lines[].refs[0].culprit.evidence[0].how')" cherry-pick; } \
    && ok "--refs takes a commit id too" || not_ok "--refs takes a commit id too"

git --git-dir="$repo" tag vfio-pull-20250702 "$culprit"
bp status --repo "$repo" --json
{ expect n "$(j '[.lines[].refs[] | select(.ref == "vfio-pull-20250702")] | length')" 0 &&
  expect first "$(j .culprit_first_tag)" v10.1.0-rc0; } \
    && ok "default v* means release tags: a vfio-pull tag is not scanned" || not_ok "default v* means release tags: a vfio-pull tag is not scanned"
git --git-dir="$repo" tag -d vfio-pull-20250702 >/dev/null

bp status --repo "$repo" --refs staging-11.1
{ assert_rc 1 && assert_one_line_error "1 of 1 refs are unknown .*--unknown-ok"; } \
    && ok "unknown alone: exit 1 (0 would promise nothing is affected), says --unknown-ok" \
    || not_ok "unknown alone: exit 1 (0 would promise nothing is affected), says --unknown-ok"
bp status --repo "$repo" --refs staging-11.1 --unknown-ok
assert_rc 0 && ok "unknown with --unknown-ok: exit 0" || not_ok "unknown with --unknown-ok: exit 0"

bp status --repo "$repo" --refs no-such-ref
{ assert_rc 3 && assert_one_line_error "unknown ref 'no-such-ref'"; } \
    && ok "unknown ref: exit 3, one line" || not_ok "unknown ref: exit 3, one line"

# upstream id filled in later: the fix is found by its id first
cp -r "$packs" "$TEST_TMP/packs-up"
sed -i "s/^upstream=.*/upstream=$master_fix/" "$TEST_TMP/packs-up/vfio-map-file-private/fix.ini"
BACKPORT_PACKS="$TEST_TMP/packs-up" bp status --repo "$repo" --json
{ assert_rc 1 && expect up "$(j .upstream)" "$master_fix" && expect how "$(ref master '.fix.evidence[0].how')" id &&
  expect by "$(ref stable-11.0 .fixed_by)" "$fix_11_0" && expect how "$(ref stable-11.0 '.fix.evidence[0].how')" cherry-pick; } \
    && ok "pack with an upstream id: found by id, picks of it still found" || not_ok "pack with an upstream id: found by id, picks of it still found"

# Content overrides history (issue 18): simulated qemu-stable backports on
# branches of a non-bare clone, as a stable maintainer would make them.
clone="$TEST_TMP/clone"
git clone -q "$repo" "$clone" && git -C "$clone" config user.name T && git -C "$clone" config user.email t@example.org
culprit_short=$(echo "$culprit" | cut -c1-12)
(
    cd "$clone" || exit 1
    # the fix with its trailers (git am), then reverted
    git checkout -q -b am-revert v10.2.1 && git am -q "$packs/vfio-map-file-private/11.0/0001-fix.patch" &&
        git revert --no-edit HEAD >/dev/null &&
    # the fix without a trailer (found by patch-id), then reverted
    git checkout -q -b pid-revert v10.2.1 && git apply "$packs/vfio-map-file-private/10.2/0001-fix.patch" &&
        git commit -qam "vfio: keep private RAM away from the file path" && git revert --no-edit HEAD >/dev/null &&
    # only the helper added: the call site still maps by file; the message is the fix's
    git checkout -q -b helper-only v10.2.1 &&
        git show v10.2.2:hw/vfio/container.c | awk '/^static bool vfio_container_can_dma_map_file/,/^}/' >"$TEST_TMP/helper" &&
        awk 'FNR == NR { h = h $0 "\n"; next } /^int vfio_container_dma_map\(/ { printf "%s\n", h } { print }' \
            "$TEST_TMP/helper" hw/vfio/container.c >"$TEST_TMP/helper.c" && cp "$TEST_TMP/helper.c" hw/vfio/container.c &&
        git commit -qam "vfio/container: Use dma_map_file() only for shared RAM and RAM devices" \
            -m "Fixes: $culprit_short (\"vfio/iommufd: use IOMMU_IOAS_MAP_FILE\")"
) || diag "making the backport branches failed"
am_fix=$(git -C "$clone" rev-parse am-revert~1) am_revert=$(git -C "$clone" rev-parse am-revert)
pid_fix=$(git -C "$clone" rev-parse pid-revert~1) pid_revert=$(git -C "$clone" rev-parse pid-revert)
helper_fix=$(git -C "$clone" rev-parse helper-only)
short() { echo "$1" | cut -c1-12; }

bp status --repo "$clone" --refs am-revert --json
{ assert_rc 1 && assert_one_line_error "1 of 1 refs are affected with the fix missing" &&
  expect v "$(ref am-revert .verdict)" affected && expect present "$(ref am-revert .fix.present)" false &&
  expect hist "$(ref am-revert .fix.in_history)" true && expect how "$(ref am-revert '.fix.evidence[0].how')" trailers &&
  expect rev "$(ref am-revert '.fix.reverted_by[0].commit')" "$am_revert" &&
  ref am-revert .why | grep -q "^fix commit $(short "$am_fix") present, but reverted by $(short "$am_revert"); hw/vfio/container.c: " &&
  ref am-revert '.fix.reverted_by[0].detail' | grep -q "inverse of that commit's"; } \
    && ok "git am'd fix, then git revert: affected, exit 1, 'fix commit X present, but reverted by Y'" \
    || not_ok "git am'd fix, then git revert: affected, exit 1, 'fix commit X present, but reverted by Y'"

bp status --repo "$clone" --refs pid-revert --json
{ assert_rc 1 && expect v "$(ref pid-revert .verdict)" affected && expect how "$(ref pid-revert '.fix.evidence[0].how')" patch-id &&
  expect present "$(ref pid-revert .fix.present)" false && expect rev "$(ref pid-revert '.fix.reverted_by[0].commit')" "$pid_revert" &&
  ref pid-revert .why | grep -q "^fix commit $(short "$pid_fix") present, but reverted by $(short "$pid_revert")"; } \
    && ok "fix without a trailer (patch-id), then reverted: affected, exit 1, the revert named" \
    || not_ok "fix without a trailer (patch-id), then reverted: affected, exit 1, the revert named"

bp status --repo "$clone" --refs helper-only --json
{ assert_rc 1 && expect v "$(ref helper-only .verdict)" affected && expect fixed_by "$(ref helper-only .fixed_by)" null &&
  expect how "$(ref helper-only '.fix.evidence[0].how')" trailers && expect partial "$(ref helper-only .probe.partial)" true &&
  ref helper-only .why | grep -q "^fix commit $(short "$helper_fix") present, but hw/vfio/container.c: partial: the call site still maps by file"; } \
    && ok "only the helper added, under the fix's subject and Fixes: affected, exit 1, 'partial: the call site still maps by file'" \
    || not_ok "only the helper added, under the fix's subject and Fixes: affected, exit 1, 'partial: the call site still maps by file'"

bp status --repo "$clone" --refs am-revert,pid-revert,helper-only
{ assert_rc 1 && assert_stdout "^    why: fix commit $(short "$am_fix") present, but reverted by $(short "$am_revert")" &&
  assert_stdout '^    why: .*partial: the call site still maps by file'; } \
    && ok "text: the why of affected refs with a fix commit in their history" \
    || not_ok "text: the why of affected refs with a fix commit in their history"

# the same three with a pack that names no probe keys: the generic probe
cp -r "$packs" "$TEST_TMP/packs-generic"
sed -i '/^guard=/d; /^dir=/d; /^bug-summary=/d' "$TEST_TMP/packs-generic/vfio-map-file-private/fix.ini"
BACKPORT_PACKS="$TEST_TMP/packs-generic" bp status --repo "$clone" --refs am-revert,pid-revert,helper-only,origin/stable-10.2,v10.0.3 --json
{ assert_rc 1 && expect v "$(j '[.lines[].refs[] | .verdict] | join(",")')" "fixed,affected,affected,affected,not-affected" &&
  ref am-revert .why | grep -q "reverted by $(short "$am_revert"); .*has the 2 lines the fix removes and none of the 10 it adds" &&
  ref helper-only .why | grep -q "partial: 8 of the fix's 10 added lines are in the file, and 2 of its 2 removed lines are still there" &&
  ref origin/stable-10.2 .why | grep -q "all 10 added lines of the fix are in the file and its 2 removed lines are gone" &&
  expect p "$(ref pid-revert .probe.state)" buggy; } \
    && ok "a pack without probe keys: the generic probe (the patch's lines by content) gives the same verdicts" \
    || not_ok "a pack without probe keys: the generic probe (the patch's lines by content) gives the same verdicts"

# --refs resolves a name as git does, a branch before a tag: never the remote too
git -C "$clone" branch -q stable-10.1 origin/stable-10.1 && git -C "$clone" tag stable-10.1 v10.1.0
bp status --repo "$clone" --refs stable-10.1 --json
{ expect n "$(j '.scan.refs')" 1 && expect refname "$(j '.lines[].refs[0].refname')" refs/heads/stable-10.1 &&
  expect kind "$(j '.lines[].refs[0].kind')" branch; } \
    && ok "--refs stable-10.1 in a clone: refs/heads/stable-10.1 only (not origin/, not the tag)" \
    || not_ok "--refs stable-10.1 in a clone: refs/heads/stable-10.1 only (not origin/, not the tag)"
bp status --repo "$clone" --refs 'origin/*' --json
{ expect n "$(j '.scan.refs')" "$(git -C "$clone" for-each-ref refs/remotes | grep -cv '/HEAD$')" &&
  expect kinds "$(j '[.lines[].refs[].kind] | unique | join(",")')" remote; } \
    && ok "--refs 'origin/*': the remote-tracking branches, only when asked" \
    || not_ok "--refs 'origin/*': the remote-tracking branches, only when asked"
bp status --repo "$clone" --refs origin/stable-10.2,v10.1.1 --json
{ expect k "$(ref origin/stable-10.2 .kind)" remote && expect t "$(ref v10.1.1 .kind)" tag; } \
    && ok "--refs names a remote-tracking branch or a tag by its short name" \
    || not_ok "--refs names a remote-tracking branch or a tag by its short name"

# bad input
mkdir "$TEST_TMP/plain"
bp status --repo "$TEST_TMP/plain"
{ assert_rc 3 && assert_one_line_error "is not a git repository"; } \
    && ok "not a repository: exit 3, one line" || not_ok "not a repository: exit 3, one line"

git init -q "$TEST_TMP/notqemu" && echo hi >"$TEST_TMP/notqemu/README" && git -C "$TEST_TMP/notqemu" add README &&
    git -C "$TEST_TMP/notqemu" commit -qm r && git -C "$TEST_TMP/notqemu" branch -M master
bp status --repo "$TEST_TMP/notqemu"
{ assert_rc 3 && assert_one_line_error "not a QEMU repository"; } \
    && ok "not a QEMU repository: exit 3, one line" || not_ok "not a QEMU repository: exit 3, one line"

git clone -q --bare --depth 3 "file://$repo" "$TEST_TMP/shallow.git" 2>/dev/null
bp status --repo "$TEST_TMP/shallow.git"
{ assert_rc 3 && assert_one_line_error "shallow clone.*fetch --unshallow"; } \
    && ok "shallow clone refused with what to do" || not_ok "shallow clone refused with what to do"

git --git-dir="$repo" config uploadpack.allowFilter true
if git clone -q --bare --filter=blob:none "file://$repo" "$TEST_TMP/partial.git" 2>/dev/null; then
    bp status --repo "$TEST_TMP/partial.git"
    { assert_rc 3 && assert_one_line_error "partial clone"; } \
        && ok "partial clone refused with what to do" || not_ok "partial clone refused with what to do"
else
    skip "git cannot make a partial clone here"
fi

# missing objects: a loose-object copy with one commit removed
git clone -q --bare --no-local "file://$repo" "$TEST_TMP/broken.git" 2>/dev/null
mkdir -p "$TEST_TMP/packs-moved" && mv "$TEST_TMP"/broken.git/objects/pack/* "$TEST_TMP/packs-moved/"
git --git-dir="$TEST_TMP/broken.git" unpack-objects -q <"$(ls "$TEST_TMP"/packs-moved/*.pack)"
victim=$(git --git-dir="$repo" rev-parse v10.0.1~1)
rm -f "$TEST_TMP/broken.git/objects/$(echo "$victim" | cut -c1-2)/$(echo "$victim" | cut -c3-)"
bp status --repo "$TEST_TMP/broken.git"
{ assert_rc 3 && assert_one_line_error "commit $victim is missing"; } \
    && ok "missing objects: exit 3, names the commit" || not_ok "missing objects: exit 3, names the commit"

bp status --repo "$repo" --tree "$TEST_TMP/plain"
assert_rc 2 && ok "--repo with --tree: usage, exit 2" || not_ok "--repo with --tree: usage, exit 2"

# plain trees made from the synthetic history
mktree() { mkdir -p "$2" && git --git-dir="$repo" archive "$1" | tar -x -C "$2"; }
mktree v10.1.1 "$TEST_TMP/t1011"
bp status --tree "$TEST_TMP/t1011" --json
{ assert_rc 1 && expect v "$(ref t1011 .verdict)" affected && expect h "$(j .history)" false &&
  j .history_note | grep -q "history evidence .* is unavailable" && expect line "$(ref t1011 .line)" 10.1; } \
    && ok "tree 10.1.1: affected, says history evidence is unavailable" || not_ok "tree 10.1.1: affected, says history evidence is unavailable"

mktree v10.1.2 "$TEST_TMP/t1012"
mkdir -p "$TEST_TMP/t1012/debian/patches" "$TEST_TMP/t1012/.pc"
cp "$packs/vfio-map-file-private/10.1/0001-fix.patch" "$TEST_TMP/t1012/debian/patches/map-file-private.patch"
printf 'other.patch\nmap-file-private.patch\n' >"$TEST_TMP/t1012/debian/patches/series"
echo 'unrelated' >"$TEST_TMP/t1012/debian/patches/other.patch"
printf 'other.patch\nmap-file-private.patch\n' >"$TEST_TMP/t1012/.pc/applied-patches"
bp status --tree "$TEST_TMP/t1012" --json
{ assert_rc 0 && expect v "$(ref t1012 .verdict)" fixed && expect by "$(ref t1012 .fixed_by)" debian/patches/map-file-private.patch &&
  expect how "$(ref t1012 '.fix.evidence[0].how')" debian-patch && ref t1012 '.fix.evidence[0].detail' | grep -q "applied per .pc"; } \
    && ok "tree with the fix applied from debian/patches: fixed by that patch" || not_ok "tree with the fix applied from debian/patches: fixed by that patch"

mkdir -p "$TEST_TMP/t1011/debian/patches" "$TEST_TMP/t1011/.pc"
cp "$packs/vfio-map-file-private/10.1/0001-fix.patch" "$TEST_TMP/t1011/debian/patches/map-file-private.patch"
echo map-file-private.patch >"$TEST_TMP/t1011/debian/patches/series"
: >"$TEST_TMP/t1011/.pc/applied-patches"
bp status --tree "$TEST_TMP/t1011" --json
{ assert_rc 1 && expect v "$(ref t1011 .verdict)" affected && ref t1011 .why | grep -q "not applied"; } \
    && ok "tree with the fix in series but not applied: affected, says so" || not_ok "tree with the fix in series but not applied: affected, says so"

mktree v10.0.3 "$TEST_TMP/t1003"
bp status --tree "$TEST_TMP/t1003" --json
{ assert_rc 0 && expect v "$(ref t1003 .verdict)" not-affected && expect s "$(ref t1003 .probe.state)" clean; } \
    && ok "tree 10.0.3: not affected" || not_ok "tree 10.0.3: not affected"

bp status --tree "$TEST_TMP/plain"
{ assert_rc 3 && assert_one_line_error "not a QEMU source tree"; } \
    && ok "--tree on a non-QEMU directory: exit 3, one line" || not_ok "--tree on a non-QEMU directory: exit 3, one line"

# real Debian trees with the real pack, when they can be had
unset BACKPORT_PACKS
if sh "$FIXTURES/debian-source.sh" 10.2.2 "$TEST_TMP/qemu-10.2.2" --shared 2>"$TEST_TMP/why102"; then
    bp status --tree "$TEST_TMP/qemu-10.2.2" --json
    { assert_rc 1 && expect v "$(ref qemu-10.2.2 .verdict)" affected && expect f "$(ref qemu-10.2.2 .probe.file)" hw/vfio/container.c; } \
        && ok "Debian qemu 10.2.2: affected, fix missing" || not_ok "Debian qemu 10.2.2: affected, fix missing"
else
    skip "Debian qemu 10.2.2: $(tail -n 1 "$TEST_TMP/why102")"
fi
if sh "$FIXTURES/debian-source.sh" 10.0.13 "$TEST_TMP/qemu-10.0.13" --shared 2>"$TEST_TMP/why100"; then
    bp status --tree "$TEST_TMP/qemu-10.0.13" --json
    { assert_rc 0 && expect v "$(ref qemu-10.0.13 .verdict)" not-affected; } \
        && ok "Debian qemu 10.0.13: not affected" || not_ok "Debian qemu 10.0.13: not affected"
else
    skip "Debian qemu 10.0.13: $(tail -n 1 "$TEST_TMP/why100")"
fi

finish
