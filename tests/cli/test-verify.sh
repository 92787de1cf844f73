# backport verify on synthetic trees: a line that passes, a drifted line, a
# not-affected line, a series that breaks the build, a line with no tree;
# the JSON, --merge, and the GitLab pipeline run for real with
# gitlab-ci-local where it is installed.
. "$(dirname "$0")/libtest.sh"
plan 22

packs="$TEST_TMP/packs"
sh "$FIXTURES/make-verify-pack.sh" "$packs" || plan_skip "cannot build the synthetic pack (git?)"
export BACKPORT_PACKS="$packs"
t="$TEST_TMP/trees"
for era in 11.0 10.1 10.0; do sh "$FIXTURES/make-verify-tree.sh" "$era" "$t/$era"; done
sh "$FIXTURES/make-verify-tree.sh" 10.2 "$t/10.2" --drift 3
cache="$TEST_TMP/cache"
trees="--tree 11.0=$t/11.0 --tree 10.2=$t/10.2 --tree 10.1=$t/10.1 --tree 10.0=$t/10.0"
# --offline: the 9.2 line has no tree and must not go to the network
common="--offline --cache $cache"

row() { grep "^$1 " "$TEST_TMP/out"; }

# run_read_only DIR... -- COMMAND...: COMMAND (stdout, stderr, rc as bp) with
# each DIR read-only: a read-only bind mount in a mount namespace as root
# (root writes through mode bits), chmod -R a-w otherwise.  FALSE, with the
# reason in $ro_why, when neither can be done here.
run_read_only() {
    _dirs=
    while [ "$1" != -- ]; do _dirs="$_dirs $1"; shift; done
    shift
    rc=0
    if [ "$(id -u)" -ne 0 ]; then
        for _d in $_dirs; do chmod -R a-w "$_d"; done
        "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
        for _d in $_dirs; do chmod -R u+w "$_d"; done
        return 0
    fi
    ro_why="root, and no mount namespace for a read-only bind mount (unshare --mount)"
    command -v unshare >/dev/null || return 1
    unshare --mount --propagation private sh -c "mount --bind '$TEST_TMP' '$TEST_TMP' && mount -o remount,ro,bind '$TEST_TMP'" \
        2>/dev/null || return 1
    _mounts=
    for _d in $_dirs; do _mounts="$_mounts mount --bind '$_d' '$_d' && mount -o remount,ro,bind '$_d' &&"; done
    unshare --mount --propagation private sh -c "$_mounts exec \"\$@\"" sh "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
    return 0
}

bp verify $common $trees --report "$TEST_TMP/report"
{ assert_rc 0 &&
  row 11.0 | grep -q 'affected, fix missing.*applies (exact).*compiles before and after.*bug -> clean (tier' &&
  row 10.2 | grep -q 'applies (offset +3).*compiles before and after.*bug -> clean'; } \
  && ok "affected lines: apply, compile, bug -> clean; exit 0" || not_ok "affected lines: apply, compile, bug -> clean; exit 0"
check "drifted line: the offset is in the matrix" sh -c "grep '^10.2 ' '$TEST_TMP/out' | grep -q 'offset +3'"
{ row 10.0 | grep -q 'not affected (proven).*n/a (not affected).*no by-file path for private RAM'; } \
  && ok "not-affected line: proven by status and by its own decision" || not_ok "not-affected line: proven by status and by its own decision"
{ row 9.2 | grep -q 'no tree' && assert_stdout '^9.2: no tree: .*--tree 9.2=DIR'; } \
  && ok "line with no tree: reported with the option that provides one" || not_ok "line with no tree: reported with the option that provides one"
{ assert_file_has_content "$TEST_TMP/report/report.md" '^| 10.2 | affected | user 10.2.2 |' &&
  assert_file_has_content "$TEST_TMP/report/report.md" 'stale reads'; } \
  && ok "--report writes report.md with the matrix and the reproducer's numbers" || not_ok "--report writes report.md with the matrix and the reproducer's numbers"

# --cache DIR holds everything verify keeps: trees, builds, the reproducer's
# compiled decisions; $XDG_CACHE_HOME is not written.
xdg="$TEST_TMP/xdg" own="$TEST_TMP/own-cache"
rc=0
XDG_CACHE_HOME="$xdg" "$BACKPORT" verify 11.0 10.0 --offline --cache "$own" $trees \
    >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
{ assert_rc 0 && [ ! -e "$xdg/backport" ] && [ -n "$(ls "$own/build")" ] && [ -n "$(ls "$own/repro")" ]; } \
  && ok "--cache DIR: builds and the reproducer's cache under DIR, nothing in \$XDG_CACHE_HOME" \
  || { diag "$(find "$xdg" "$own" -maxdepth 2 2>/dev/null)"; not_ok "--cache DIR: builds and the reproducer's cache under DIR, nothing in \$XDG_CACHE_HOME"; }

# The user's trees are never touched.
check "user trees untouched" sh -c "! grep -q vfio_container_can_dma_map_file '$t/11.0/hw/vfio/container.c'"

# A series that breaks the build: exit 1, the compiler's message in the report.
broken="$TEST_TMP/broken"
cp -a "$packs" "$broken"
sed -i 's/^+    if (vfio_container_can_dma_map_file(c, mr, &fd)) {$/+    if (vfio_container_can_dma_map_fil(c, mr, \&fd)) {/' "$broken/vfio-map-file-private/10.1/"*.patch
BACKPORT_PACKS="$broken" bp verify 10.1 $common $trees --report "$TEST_TMP/report-broken"
{ assert_rc 1 && row 10.1 | grep -q 'FAIL: the series breaks the build' &&
  assert_file_has_content "$TEST_TMP/report-broken/report.md" "vfio_container_can_dma_map_fil"; } \
  && ok "broken series: exit 1, the compiler's message in the report" || not_ok "broken series: exit 1, the compiler's message in the report"

bp verify 9.2 $common
{ assert_rc 3 && assert_stderr 'nothing could be verified'; } \
  && ok "only a line without a tree: exit 3" || not_ok "only a line without a tree: exit 3"

bp verify 7.7 $common
{ assert_rc 3 && assert_one_line_error "no line '7.7'"; } && ok "unknown line: one line, exit 3" || not_ok "unknown line: one line, exit 3"

bp verify --tree 10.2=$t/10.0 $common 10.2
{ assert_rc 3 && assert_stderr "10.0.13"; } && ok "a --tree of the wrong line is refused" || not_ok "a --tree of the wrong line is refused"

# JSON per line, merged: the same matrix as one run; a failing document fails the merge.
for l in 11.0 10.2 10.1 10.0 9.2; do
    "$BACKPORT" verify "$l" --json $common $trees >"$TEST_TMP/v-$l.json" 2>/dev/null
done
bp verify $common $trees
cp "$TEST_TMP/out" "$TEST_TMP/whole"
bp verify --merge "$TEST_TMP"/v-*.json
# the backing may differ between runs (huge pages in use elsewhere)
norm() { sed "s/(tier [^)]*)//; s/  */ /g" "$1"; }
{ assert_rc 0 && norm "$TEST_TMP/whole" >"$TEST_TMP/a" && norm "$TEST_TMP/out" >"$TEST_TMP/b" && diff "$TEST_TMP/a" "$TEST_TMP/b" >&2; } \
  && ok "--merge of per-line documents prints the same matrix as one run" || not_ok "--merge of per-line documents prints the same matrix as one run"
BACKPORT_PACKS="$broken" "$BACKPORT" verify 10.1 --json $common $trees >"$TEST_TMP/v-10.1.json" 2>/dev/null
bp verify --merge "$TEST_TMP"/v-*.json
{ assert_rc 1 && row 10.1 | grep -q FAIL; } && ok "--merge with a failing line: exit 1" || not_ok "--merge with a failing line: exit 1"
echo '{"not": "ours"}' >"$TEST_TMP/bad.json"
bp verify --merge "$TEST_TMP/bad.json"
{ assert_rc 3 && assert_one_line_error 'bad.json: not a backport verify JSON document'; } \
  && ok "--merge of a foreign document: one line, exit 3" || not_ok "--merge of a foreign document: one line, exit 3"
bp verify --merge /dev/zero
{ assert_rc 3 && assert_one_line_error '/dev/zero: not a regular file'; } \
  && ok "--merge /dev/zero: refused before reading, exit 3" || not_ok "--merge /dev/zero: refused before reading, exit 3"

# With a repository: trees from its tags, and a bisection that must land on
# the culprit (a generated history with its own culprit id and pack).
h="$TEST_TMP/history"
sh "$FIXTURES/gen-history.sh" --pack "$TEST_TMP/hpacks" "$h" >/dev/null 2>&1
culprit=$(sed -n "s/^culprit=//p" "$h/.fixture-ids")
BACKPORT_PACKS="$TEST_TMP/hpacks" bp verify --repo "$h" $common
{ assert_rc 0 && [ -n "$culprit" ] && row 10.1 | grep -q "git 10.1.2 .*fix already in.*$(echo $culprit | cut -c1-12) (the culprit)" &&
  row 10.0 | grep -q "git 10.0.3 .*not affected (proven).*n/a (not affected)"; } \
  && ok "--repo: trees from tags, fixed lines seen, bisect lands on the culprit" \
  || not_ok "--repo: trees from tags, fixed lines seen, bisect lands on the culprit"

# --repo whose history lacks some lines: those take Debian's tree (here a
# local pool fetched into the cache through the trees module), and a git
# export without the subprojects QEMU's offline configure needs gets them
# from that Debian tree, then compiles.
if ! command -v apt-get >/dev/null || ! command -v dpkg-source >/dev/null || ! command -v dpkg-scansources >/dev/null; then
    for i in 1 2 3; do skip "no apt-get/dpkg-source/dpkg-scansources (install apt and dpkg-dev)"; done
else
    r="$TEST_TMP/mixed"
    sh "$FIXTURES/trees-verify-repo.sh" "$r/repo" "$r/packs" >"$r.ids" 2>"$r.err" || cat "$r.err" >&2
    mculprit=$(sed -n 's/^culprit=//p' "$r.ids")
    sh "$FIXTURES/trees-qemu-like.sh" 10.2 "$r/deb102" --release --overlay "overlay of 10.2"
    sh "$FIXTURES/trees-pool.sh" "$r/archive" sid "1:10.2.2+ds-1=$r/deb102" 2>"$r.err" || cat "$r.err" >&2
    mkdir -p "$r/sys/sources.list.d" "$r/lists"
    echo "deb [trusted=yes] file:$r/archive sid main" >"$r/sys/sources.list"
    "$TREES_DRIVER" --pack "$r/packs/vfio-map-file-private" --cache "$r/cache" --apt-etc "$r/sys" \
        --apt-lists "$r/lists" --suite sid 10.2 >"$r.drv" 2>&1 || cat "$r.drv" >&2
    snapshot() { (cd "$1" && find . -printf '%y %s %p\n' | sort && find . -type f -exec sha256sum {} + | sort); }
    snapshot "$r/repo/.git" >"$r.repo-before"
    XDG_CACHE_HOME="$r/xdg" BACKPORT_PACKS="$r/packs" bp verify --repo "$r/repo" --cache "$r/cache" --offline --report "$r/report"
    short=$(echo "$mculprit" | cut -c1-12)
    { assert_rc 0 && [ -n "$mculprit" ] &&
      row 10.2 | grep -q "debian 10.2.2 .*affected, fix missing.*applies (exact).*compiles before and after.*bug -> clean.*$short (the culprit)" &&
      row 10.0 | grep -q "git 10.0.3 .*not affected (proven)" &&
      assert_file_has_content "$r/report/report.md" 'no v10.2.N tag or stable-10.2 branch in .*: Debian.s source instead' &&
      [ ! -e "$r/xdg/backport" ]; } \
      && ok "--repo: a line the history lacks takes Debian's tree, the others git's; bisect lands on the culprit" \
      || not_ok "--repo: a line the history lacks takes Debian's tree, the others git's; bisect lands on the culprit"
    { row 10.1 | grep -q "git 10.1.3 .*affected, fix missing.*applies (exact).*compiles before and after.*bug -> clean" &&
      assert_file_has_content "$r/report/report.md" 'subprojects keycodemapdb, berkeley-softfloat-3 and berkeley-testfloat-3 supplied from Debian 1:10.2.2+ds-1' &&
      [ ! -d "$r/repo/subprojects/keycodemapdb" ]; } \
      && ok "--repo: a git export without subprojects gets them from the cached Debian tree and compiles" \
      || not_ok "--repo: a git export without subprojects gets them from the cached Debian tree and compiles"
    { row 11.0 | grep -q 'no tree' &&
      assert_stdout "^11.0: no tree: no v11.0.N tag or stable-11.0 branch in $r/repo .*, and Debian.s index lists no qemu 11.0.x (it lists 10.2.2); use --tree 11.0=DIR\$"; } \
      && ok "--repo: a line neither the history nor Debian has says both" \
      || not_ok "--repo: a line neither the history nor Debian has says both"

    # The same run on that cache made read-only: --offline only reads it.
    cp "$TEST_TMP/out" "$r.first"
    snapshot "$r/cache" >"$r.before"
    if run_read_only "$r/cache" -- env BACKPORT_PACKS="$r/packs" "$BACKPORT" verify --repo "$r/repo" --cache "$r/cache" --offline; then
        snapshot "$r/cache" >"$r.after"
        { assert_rc 0 && norm "$r.first" >"$r.a" && norm "$TEST_TMP/out" >"$r.b" && diff "$r.a" "$r.b" >&2 &&
          diff "$r.before" "$r.after" >&2 && assert_not_file_has_content "$TEST_TMP/err" 'apt.conf'; } \
          && ok "--offline on a read-only cache: the same matrix, the cache byte-identical" \
          || not_ok "--offline on a read-only cache: the same matrix, the cache byte-identical"
    else
        skip "$ro_why"
    fi

    # The user's repository is read, never written: its files are
    # byte-identical after the run above, and a read-only one serves the
    # same run (its trees exported anew into another cache).
    cp -a "$r/cache" "$r/cache2" && rm -rf "$r/cache2/trees/git" "$r/cache2/build" "$r/cache2/scratch"
    snapshot "$r/repo/.git" >"$r.repo-ro-before"
    if run_read_only "$r/repo" -- env BACKPORT_PACKS="$r/packs" "$BACKPORT" verify --repo "$r/repo" --cache "$r/cache2" --offline; then
        snapshot "$r/repo/.git" >"$r.repo-ro-after"
        { assert_rc 0 && diff "$r.repo-before" "$r.repo-ro-before" >&2 && diff "$r.repo-ro-before" "$r.repo-ro-after" >&2 &&
          norm "$r.first" >"$r.a" && norm "$TEST_TMP/out" >"$r.b" && diff "$r.a" "$r.b" >&2 &&
          assert_stderr "exporting v10.1.3"; } \
          && ok "--repo writes nothing into the repository (objects, refs, packed-refs, index, config), and works on a read-only one" \
          || not_ok "--repo writes nothing into the repository (objects, refs, packed-refs, index, config), and works on a read-only one"
    else
        skip "$ro_why"
    fi
fi

# The pipeline, for real.
if ! command -v gitlab-ci-local >/dev/null; then
    skip "gitlab-ci-local not installed (.ci/run installs it from npm)"
else
    run_pipeline() {   # PACKS -> rc, log in $TEST_TMP/gcl.log
        p="$TEST_TMP/pipeline"; rm -rf "$p"; mkdir -p "$p"
        BACKPORT_PACKS="$1" "$BACKPORT" verify --emit-ci gitlab --ci-image none $common $trees >"$p/.gitlab-ci.yml"
        (cd "$p" && git init -q && git add -A && git -c user.name=T -c user.email=t@example.org commit -qm ci &&
         gitlab-ci-local --variable "BACKPORT=$BACKPORT" --variable "BACKPORT_PACKS=$1") >"$TEST_TMP/gcl.log" 2>&1
    }
    if run_pipeline "$packs" && grep -q 'PASS  merge' "$TEST_TMP/gcl.log" &&
       [ "$(grep -c 'PASS  verify' "$TEST_TMP/gcl.log")" -eq 5 ] &&
       grep -q 'merge .*> 10.2  affected' "$TEST_TMP/gcl.log" &&
       ! run_pipeline "$broken" && grep -q 'FAIL  merge' "$TEST_TMP/gcl.log" &&
       [ "$(grep -c 'PASS  verify' "$TEST_TMP/gcl.log")" -eq 5 ]; then
        ok "gitlab-ci-local: line jobs pass and merge prints the matrix; a broken series fails the merge job"
    else
        diag "$(tail -30 "$TEST_TMP/gcl.log")"
        not_ok "gitlab-ci-local: line jobs pass and merge prints the matrix; a broken series fails the merge job"
    fi
fi
finish
