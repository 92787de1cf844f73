#!/bin/sh
# The trees module through its test-only driver (tests/fixtures/trees-driver.c):
# deb-src list generation, version choice against a local pool where the
# newest versions answer "not found", the cache (a second run fetches
# nothing), offline mode, user trees, and git export compared with git archive.
. "$BP_SOURCE_DIR/tests/cli/libtest.sh"
: "${TREES_DRIVER:?run under meson test}"

plan 38

T=$TEST_TMP
drv() {
    rc=0
    "$TREES_DRIVER" "$@" >"$T/out" 2>"$T/err" || rc=$?
    return 0
}

# A pack with four lines, none carrying a series (all not-affected).
mkdir -p "$T/pack"
{
    printf '[fix]\nversion=1\nsubject=test fix\nauthor=T <t@example.org>\n'
    printf 'date=Mon, 1 Jan 2024 00:00:00 +0000\n'
    printf 'culprit=fb32965b6dd8a001815593642a5146fbd2e85651\nfunction=vfio_container_dma_map\nreproducer=vfio-dma-map\n'
    for l in 11.1 11.0 10.2 10.0; do
        printf '\n[line %s]\nverdict=not-affected\nevidence=culprit-not-reachable\n' "$l"
        printf 'file=hw/vfio/container.c\napi=10.2\nbase=test\n'
    done
} >"$T/pack/fix.ini"

# ---- deb-src list from the system's sources (one-line and deb822) ----
etc="$T/etc" lists="$T/lists"
mkdir -p "$etc/sources.list.d" "$lists"
cat >"$etc/sources.list" <<'EOF'
# deb http://commented.example/debian sid main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian bookworm main contrib
deb http://mirror.example/debian-security bookworm-security main
deb http://mirror.example/debian/ bookworm-updates main
deb https://deb.nodesource.example/node_20.x nodistro main
deb http://rasp.example/raspbian bookworm main
deb http://own.example/apt mystable main
EOF
cat >"$etc/sources.list.d/debian.sources" <<'EOF'
Types: deb deb-src
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://other.example/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://other.example/debian-security
Suites: trixie-security
Components: main

Types: deb
URIs: http://disabled.example/debian
Suites: sid
Components: main
Enabled: no
EOF
echo 'deb http://ignored.example/debian sid main' >"$etc/sources.list.d/old.list.disabled"
# The system's own Release files decide when they exist: raspbian says it is
# not Debian although its suite name is; own.example says it is, although
# its suite name is unknown.
printf 'Origin: Raspbian\nLabel: Raspbian\nSuite: oldstable\n' >"$lists/rasp.example_raspbian_dists_bookworm_InRelease"
printf -- '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\nLabel: Debian\nSuite: stable\n' \
    >"$lists/own.example_apt_dists_mystable_InRelease"

drv --sources "$etc" "$lists" sid trixie
check "sources: builds a list" assert_rc 0
check "sources: one-line Debian entry kept, with its signed-by" \
    assert_file_has_content "$T/out" '^deb-src \[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg\] http://mirror.example/debian sid main$'
check "sources: deb822 Debian entry kept, every suite asked" sh -c "
    grep -q '^deb-src \[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg\] http://other.example/debian sid main\$' '$T/out' &&
    grep -q '^deb-src \[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg\] http://other.example/debian trixie main\$' '$T/out'"
check "sources: a URI is listed once (trailing slash and updates suite folded)" \
    test "$(grep -c 'mirror.example/debian trixie' "$T/out")" -eq 1
check "sources: Release file says Debian, so an unknown suite name counts" \
    assert_file_has_content "$T/out" '^deb-src http://own.example/apt sid main$'
check "sources: security, third-party, Raspbian, disabled, commented entries left out" sh -c "
    ! grep -q '^deb-src.*\(security\|nodesource\|raspbian\|disabled\|commented\|ignored\)' '$T/out'"
check "sources: each left-out entry says why" sh -c "
    grep -q '^left-out .*debian-security left out: the security archive' '$T/out' &&
    grep -q '^left-out .*raspbian left out: its Release file says Origin: Raspbian' '$T/out' &&
    grep -q '^left-out .*nodesource.* left out: suite nodistro is not a Debian suite' '$T/out' &&
    grep -q '^left-out .*disabled.example/debian left out: disabled' '$T/out'"
mkdir -p "$T/etc-none"
echo 'deb https://deb.nodesource.example/node_20.x nodistro main' >"$T/etc-none/sources.list"
drv --sources "$T/etc-none" "$lists"
check "sources: no Debian URI at all is an error naming the fix" sh -c "
    [ $rc -eq 3 ] && grep -q 'no Debian archive URI in the apt sources under $T/etc-none' '$T/err'"

# ---- a local pool: versions listed in the index, some not served ----
if ! command -v apt-get >/dev/null || ! command -v dpkg-source >/dev/null || ! command -v dpkg-scansources >/dev/null; then
    for i in $(seq 9 24); do skip "no apt-get/dpkg-source/dpkg-scansources (install apt and dpkg-dev)"; done
else
archive="$T/archive"
sh "$FIXTURES/trees-pool.sh" "$archive" sid 1:10.2.2+ds-1 '!1:10.2.3+ds-1' 1:10.2.1+ds-1 \
    1:10.0.13+ds-0+deb13u1 '!1:11.1.2+ds-3' '!1:11.1.3+ds-1' 2>"$T/pool.err" || cat "$T/pool.err" >&2
mkdir -p "$T/sys/sources.list.d"
echo "deb [trusted=yes] file:$archive sid main" >"$T/sys/sources.list"
opts="--pack $T/pack --cache $T/cache --apt-etc $T/sys --apt-lists $T/lists --suite sid --suite trixie"

drv $opts
check "pool: first run succeeds" assert_rc 0
check "pool: 10.2 is the newest served 10.2.x (10.2.2), fetched and unpacked" sh -c "
    grep -q '^tree 10.2 kind=debian version=10.2.2 cached=no path=$T/cache/trees/debian/1_10.2.2+ds-1\$' '$T/out' &&
    grep -q '^origin 10.2 Debian 1:10.2.2+ds-1\$' '$T/out' &&
    [ \"\$(cat '$T/cache/trees/debian/1_10.2.2+ds-1/VERSION')\" = 10.2.2 ]"
check "pool: Debian's patches are applied in the tree" \
    assert_file_has_content "$T/cache/trees/debian/1_10.2.2+ds-1/debian-patched.txt" '^patched 1:10.2.2+ds-1$'
check "pool: the listed but unserved 10.2.3 is said, and the next tried" \
    assert_file_has_content "$T/out" '^note 10.2 Debian 1:10.2.3+ds-1 is listed but the pool does not serve it (file not found in the pool); trying the next$'
check "pool: 10.0 gets 10.0.13" \
    assert_file_has_content "$T/out" '^tree 10.0 kind=debian version=10.0.13 cached=no '
check "pool: a line whose versions are all unserved is no tree, with what to do" \
    assert_file_has_content "$T/out" '^missing 11.1 no Debian source serves 11.1 (11.1.2, 11.1.3 listed but not served: file not found in the pool); remedy: repo tree$'
check "pool: a line the index does not list is no tree, never dropped" \
    assert_file_has_content "$T/out" '^missing 11.0 Debian.s index lists no qemu 11.0.x (it lists 11.1.3, 11.1.2, 10.2.3, 10.2.2, 10.2.1, 10.0.13); remedy: repo tree$'
check "pool: a suite the archive lacks is a note, not a failure; two downloads" sh -c "
    grep -q '^set downloads=2 exports=0 index-updated=yes\$' '$T/out' &&
    grep -q '^set-note apt-get update: E: Failed to fetch .*trixie' '$T/out'"
check "pool: progress on stderr, per line" sh -c "
    grep -q '^trees: \[10.2\] downloading Debian qemu 1:10.2.2+ds-1\$' '$T/err' &&
    grep -q '^trees: \[10.2\]   | dpkg-source: info: applying debian-marker.patch' '$T/err'"
check "pool: downloaded files removed, only trees and stamps kept" sh -c "
    [ -z \"\$(find '$T/cache/trees/debian' -maxdepth 1 -name '*.dsc' -o -maxdepth 1 -name '.work-*')\" ] &&
    [ -f '$T/cache/trees/debian/1_10.2.2+ds-1.stamp' ]"

# Second run with the archive gone: everything must come from the cache.
mv "$archive" "$archive.away"
drv $opts
check "cache: second run downloads nothing (archive moved away)" sh -c "
    [ $rc -eq 0 ] &&
    grep -q '^tree 10.2 kind=debian version=10.2.2 cached=yes ' '$T/out' &&
    grep -q '^tree 10.0 kind=debian version=10.0.13 cached=yes ' '$T/out' &&
    grep -q '^set downloads=0 exports=0 index-updated=no\$' '$T/out' &&
    ! grep -q 'downloading' '$T/err'"
check "cache: versions once not served are remembered, not retried" sh -c "
    grep -q '^note 11.1 Debian 1:11.1.3+ds-1 is listed but the pool does not serve it (file not found in the pool, ' '$T/out' &&
    grep -q '^missing 11.1 no Debian source serves 11.1' '$T/out'"
mv "$archive.away" "$archive"

# The pool now serves 10.2.3: a plain run keeps the cache (the index is the
# same and 10.2.3 was not served); --refresh updates the index and retries it.
rm -rf "$archive"
sh "$FIXTURES/trees-pool.sh" "$archive" sid 1:10.2.3+ds-1 1:10.2.2+ds-1 1:10.2.1+ds-1 \
    1:10.0.13+ds-0+deb13u1 '!1:11.1.2+ds-3' '!1:11.1.3+ds-1' 2>"$T/pool.err" || cat "$T/pool.err" >&2
gone=$(sh -c 'echo $$')
mkdir -p "$T/cache/trees/debian/.work-1_10.2.9+ds-1-$gone" "$T/cache/trees/debian/.work-1_10.2.9+ds-1-$$"
drv $opts 10.2
check "refresh: without it, the cached 10.2.2 stays and nothing is fetched" sh -c "
    grep -q '^tree 10.2 kind=debian version=10.2.2 cached=yes ' '$T/out' &&
    grep -q '^set downloads=0 exports=0 index-updated=no\$' '$T/out'"
check "an interrupted run's work dir is swept, a live one's kept" sh -c "
    [ ! -e '$T/cache/trees/debian/.work-1_10.2.9+ds-1-$gone' ] &&
    [ -d '$T/cache/trees/debian/.work-1_10.2.9+ds-1-$$' ]"
rm -rf "$T/cache/trees/debian/.work-1_10.2.9+ds-1-$$"
drv $opts --refresh 10.2 11.1
check "refresh: index updated, the once-unserved 10.2.3 retried and taken" sh -c "
    grep -q '^tree 10.2 kind=debian version=10.2.3 cached=no ' '$T/out' &&
    grep -q '^set downloads=1 exports=0 index-updated=yes\$' '$T/out' &&
    grep -q '^note 11.1 Debian 1:11.1.3+ds-1 is listed but the pool does not serve it (file not found in the pool); trying the next\$' '$T/out'"
touch -d '10 days ago' "$T/cache/apt/index.stamp"
drv $opts 10.2
check "an old index is said, with the way to refresh it" \
    assert_file_has_content "$T/out" "^set-note the deb-src index in $T/cache/apt is 10 days old; refresh it"
fi

# ---- offline with an empty cache ----
drv --pack "$T/pack" --cache "$T/empty-cache" --offline 10.2 10.0
check "offline, empty cache: each line says what is missing, nothing created" sh -c "
    [ $rc -eq 0 ] &&
    grep -q '^missing 10.2 offline and no Debian qemu tree for 10.2 in $T/empty-cache; remedy: online repo tree\$' '$T/out' &&
    grep -q '^missing 10.0 offline' '$T/out' && ! grep -q '^missing 11' '$T/out' &&
    [ ! -e '$T/empty-cache' ]"

# ---- user trees ----
mkdir -p "$T/mine/hw"
echo 10.2.7 >"$T/mine/VERSION"
drv --pack "$T/pack" --cache "$T/empty-cache" --offline --tree "10.2=$T/mine" 10.2
check "user tree: taken as is for its line" sh -c "
    [ $rc -eq 0 ] && grep -q '^tree 10.2 kind=user version=10.2.7 cached=yes path=$T/mine\$' '$T/out'"
drv --pack "$T/pack" --offline --tree "10.0=$T/mine"
check "user tree: VERSION of another line is refused, naming both" sh -c "
    [ $rc -eq 3 ] && grep -q 'mine/VERSION says 10.2.7, which is line 10.2, not 10.0' '$T/err'"
drv --pack "$T/pack" --offline --tree "12.0=$T/mine"
check "user tree: a line the pack lacks is refused" sh -c "
    [ $rc -eq 3 ] && grep -q 'has no line 12.0 (its lines: 11.1, 11.0, 10.2, 10.0)' '$T/err'"

# ---- git: tags and stable branches exported with libgit2 ----
repo="$T/repo"
git init -q "$repo"
(
    cd "$repo"
    git config user.email t@example.org; git config user.name T
    mkdir -p hw/vfio scripts
    echo 10.0.1 >VERSION
    echo 'int x;' >hw/vfio/container.c
    printf '#!/bin/sh\necho hi\n' >scripts/run.sh; chmod +x scripts/run.sh
    ln -s hw/vfio/container.c link.c
    printf 'a\nb\n' >win.bat
    printf 'bin\000ary\177\r\n' >blob.bin
    echo '$Id$' >ident.c
    echo secret >secret.txt
    mkdir -p subprojects/berkeley-testfloat-3
    echo '[wrap-git]' >subprojects/keycodemapdb.wrap
    echo '[wrap-git]' >subprojects/berkeley-testfloat-3.wrap
    echo tf >subprojects/berkeley-testfloat-3/README
    printf '*.bat eol=crlf\nsecret.txt export-ignore\nident.c ident\n' >.gitattributes
    git add -A
    git update-index --add --cacheinfo 160000,1111111111111111111111111111111111111111,subm
    git commit -qm 10.0.1; git tag v10.0.1
    git rm -q --cached subm
    echo 10.2.0 >VERSION; git commit -qam 10.2.0; git tag -a -m 10.2.0 v10.2.0
    echo 10.2.1 >VERSION; git commit -qam 10.2.1; git tag v10.2.1
    git branch stable-10.2
    git checkout -q stable-10.2; echo 'int fixed;' >>hw/vfio/container.c; git commit -qam fix
    git checkout -q -; echo 10.2.90 >VERSION; git commit -qam dev; git tag v10.2.0-rc1 HEAD~3
) >/dev/null 2>&1
same_as_archive() {
    rev=$1 dir=$2
    rm -rf "$T/ga"; mkdir "$T/ga"
    git -C "$repo" archive "$rev" | tar -x --no-same-permissions -C "$T/ga"
    diff -r --no-dereference "$T/ga" "$dir" >&2 || return 1
    (cd "$T/ga" && find . -printf '%M %p %l\n' | sort) >"$T/ga.list"
    (cd "$dir" && find . -printf '%M %p %l\n' | sort) >"$T/ex.list"
    diff "$T/ga.list" "$T/ex.list" >&2
}
drv --export "$repo" v10.0.1 "$T/ex"
check "git: an exported tag equals git archive of it (content, modes, symlinks, eol, ident, export-ignore, submodule)" \
    same_as_archive v10.0.1 "$T/ex"

index_sum=$(md5sum <"$repo/.git/index"); head_before=$(git -C "$repo" rev-parse HEAD)
drv --pack "$T/pack" --cache "$T/gcache" --offline --repo "$repo"
stable=$(git -C "$repo" rev-parse stable-10.2); v100=$(git -C "$repo" rev-parse v10.0.1)
check "git: newest release tag per line; stable-X.Y where it is newer" sh -c "
    [ $rc -eq 0 ] &&
    grep -q '^tree 10.2 kind=git version=10.2.1 cached=no path=$T/gcache/trees/git/$stable\$' '$T/out' &&
    grep -q '^origin 10.2 git stable-10.2 ($stable)\$' '$T/out' &&
    grep -q '^origin 10.0 git v10.0.1 ($v100)\$' '$T/out' &&
    grep -q '^missing 11.0 no v11.0.N tag or stable-11.0 branch in $repo' '$T/out'"
check "git: subprojects kept only as .wrap files are named (configure needs them offline)" \
    assert_file_has_content "$T/out" '^note 10.0 subprojects keycodemapdb are only .wrap files here (a git tree; release tarballs carry them)'
check "git: the branch export equals git archive of it" same_as_archive stable-10.2 "$T/gcache/trees/git/$stable"
drv --pack "$T/pack" --cache "$T/gcache" --offline --repo "$repo"
check "git: second run exports nothing; repo worktree, index and HEAD untouched" sh -c "
    grep -q '^tree 10.2 kind=git version=10.2.1 cached=yes' '$T/out' &&
    grep -q '^set downloads=0 exports=0 index-updated=no\$' '$T/out' &&
    [ \"\$(md5sum <'$repo/.git/index')\" = '$index_sum' ] &&
    [ \"\$(git -C '$repo' rev-parse HEAD)\" = '$head_before' ] &&
    [ -z \"\$(git -C '$repo' status --porcelain)\" ]"
drv --pack "$T/pack" --cache "$T/gcache" --offline --repo "$repo" --json 10.2 11.0
check "json: every line with its kind, origin and notes; a missing line has a null path and says why" sh -c "
    [ $rc -eq 0 ] && tr -d '\n' <'$T/out' | grep -q '\"line\" : \"10.2\",  *\"kind\" : \"git\",  *\"path\" : \"' &&
    tr -d '\n' <'$T/out' | grep -q '\"ref\" : \"stable-10.2\",  *\"commit\" : \"$stable\",  *\"cached\" : true' &&
    tr -d '\n' <'$T/out' | grep -q '\"line\" : \"11.0\",  *\"kind\" : \"none\",  *\"path\" : null,.*\"missing\" : \"no v11.0.N tag'"

check "git: a line the repository lacks is asked of Debian (offline: the cache), and says both" sh -c "
    tr -d '\\n' <'$T/out' | grep -q '\"missing\" : \"no v11.0.N tag or stable-11.0 branch in [^\"]*, and offline and no Debian qemu tree for 11.0 in [^\"]*\",  *\"remedy\" : \[  *\"online\",  *\"tree\"  *\]'"

# ---- subprojects a git export lacks, from the repository's own history ----
srepo="$T/srepo"
git init -q "$srepo"
(
    cd "$srepo"
    git config user.email t@example.org; git config user.name T
    # the subproject's own history, kept in the same repository
    git checkout -q --orphan keycodemapdb
    echo 'keycodemapdb (synthetic)' >README; echo "project('keycodemapdb')" >meson.build
    git add -A; git commit -qm keycodemapdb
    kc=$(git rev-parse HEAD)
    git rm -rq .; git checkout -q --orphan main
    mkdir -p hw/vfio subprojects/packagefiles/keycodemapdb
    echo 10.0.2 >VERSION; echo 'int x;' >hw/vfio/container-base.c
    printf '[wrap-git]\nurl = https://gitlab.example/keycodemapdb.git\nrevision = %s\npatch_directory = keycodemapdb\n' "$kc" \
        >subprojects/keycodemapdb.wrap
    echo '# the tree overlay' >subprojects/packagefiles/keycodemapdb/meson.build
    printf '[wrap-git]\nurl = https://gitlab.example/berkeley-softfloat-3.git\nrevision = %s\n' \
        1111111111111111111111111111111111111111 >subprojects/berkeley-softfloat-3.wrap
    git add -A; git commit -qm 10.0.2; git tag v10.0.2
) >/dev/null 2>&1
drv --pack "$T/pack" --cache "$T/scache" --offline --repo "$srepo" 10.0
sdir=$(sed -n 's/^tree 10.0 .* path=//p' "$T/out")
check "subprojects: the .wrap's revision in the repository's history is exported into the tree, its overlay on top" sh -c "
    [ $rc -eq 0 ] && [ -f '$sdir/subprojects/keycodemapdb/README' ] &&
    [ \"\$(cat '$sdir/subprojects/keycodemapdb/meson.build')\" = '# the tree overlay' ] &&
    grep -q '^note 10.0 subprojects keycodemapdb supplied from the repository.s commit [0-9a-f]\{12\} (the .wrap.s revision)' '$T/out'"
check "subprojects: one nothing has is named, with what is missing" \
    assert_file_has_content "$T/out" '^note 10.0 subprojects berkeley-softfloat-3 are only .wrap files here .*nor has the repository the .wrap.s revision$'
drv --pack "$T/pack" --cache "$T/scache" --offline --repo "$srepo" 10.0
check "subprojects: a cached export says again what was supplied, and copies nothing" sh -c "
    grep -q '^tree 10.0 kind=git .* cached=yes' '$T/out' &&
    grep -q '^note 10.0 subprojects keycodemapdb supplied from the repository' '$T/out' &&
    ! grep -q 'supplied from' '$T/err'"

finish
