# backport status --tree on hostile trees (issue 19): the file that holds
# the function missing, empty, a symlink out of the tree, /dev/zero, a FIFO,
# a device, too big.  Each says "unknown: <file> <why>" and exits 3 (never
# "not affected"), reads nothing outside the tree, and reads at most 16 MiB.
. "$(dirname "$0")/libtest.sh"
command -v jq >/dev/null || plan_skip "jq is not installed (tools/install-deps.sh installs it)"
command -v git >/dev/null || plan_skip "git is not installed"
plan 15

export GIT_CONFIG_NOSYSTEM=1 HOME="$TEST_TMP" XDG_CACHE_HOME="$TEST_TMP/cache"
repo="$TEST_TMP/repo.git"
packs="$TEST_TMP/packs"
sh "$FIXTURES/gen-history.sh" --commits 300 --tags 20 --pack "$packs" --probe-keys "$repo" >/dev/null 2>"$TEST_TMP/gen.err" \
    || { cat "$TEST_TMP/gen.err" >&2; plan_skip "gen-history.sh failed"; }
export BACKPORT_PACKS="$packs"
cp -r "$packs" "$TEST_TMP/packs-generic"
sed -i '/^guard=/d; /^dir=/d; /^bug-summary=/d' "$TEST_TMP/packs-generic/vfio-map-file-private/fix.ini"

# a fresh 10.2.1 tree (affected) at $t, the file under test at $f
fresh() {
    t="$TEST_TMP/tree-$1"; rm -rf "$t"; mkdir -p "$t"
    git --git-dir="$repo" archive v10.2.1 | tar -x -C "$t"
    f="$t/hw/vfio/container.c"
}
# bounded: status must answer within 20 s and 200 MB whatever the tree holds
# (peak memory by /usr/bin/time when it is there: ulimit -v would stop a
# sanitizer build before it starts)
st() {
    rc=0
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f %M -o "$TEST_TMP/peak" timeout 20 "$BACKPORT" status --tree "$t" "$@" \
            >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
        peak=$(tail -n 1 "$TEST_TMP/peak")
        if [ "$peak" -gt 200000 ]; then diag "peak memory $peak kB"; rc=99; fi
    else
        timeout 20 "$BACKPORT" status --tree "$t" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
    fi
}
unknown() {   # CAUSE [status options]: exit 3, one line naming the file and the cause
    cause=$1; shift
    st "$@"
    assert_rc 3 && assert_one_line_error ": unknown: hw/vfio/container.c $cause (restore the file"
}

fresh plain
st --json
{ assert_rc 1 && [ "$(jq -r '.lines[].refs[0].verdict' "$TEST_TMP/out")" = affected ]; } \
    && ok "the intact tree: affected, exit 1" || not_ok "the intact tree: affected, exit 1"

fresh missing; rm "$f"
unknown missing && ok "container.c missing: 'unknown: hw/vfio/container.c missing', exit 3" \
    || not_ok "container.c missing: 'unknown: hw/vfio/container.c missing', exit 3"
st --json
{ assert_rc 3 && [ "$(jq -r '.lines[].refs[0] | .verdict + " " + .probe.state' "$TEST_TMP/out")" = "unknown unreadable" ]; } \
    && ok "--json still prints the document: verdict unknown, probe unreadable" \
    || not_ok "--json still prints the document: verdict unknown, probe unreadable"

fresh empty; : >"$f"
unknown "is empty" && ok "container.c empty: unknown, exit 3" || not_ok "container.c empty: unknown, exit 3"

# out of the tree: a copy that would say "fixed" must not be read
fresh outside
git --git-dir="$repo" show v10.2.2:hw/vfio/container.c >"$TEST_TMP/fixed-elsewhere.c"
rm "$f" && ln -s "$TEST_TMP/fixed-elsewhere.c" "$f"
unknown "is a symlink out of the tree" && ok "container.c -> a file outside the tree: not read, unknown, exit 3" \
    || not_ok "container.c -> a file outside the tree: not read, unknown, exit 3"

fresh dotdot; rm "$f" && ln -s ../../../fixed-elsewhere.c "$f" && cp "$TEST_TMP/fixed-elsewhere.c" "$TEST_TMP/"
unknown "is a symlink out of the tree" && ok "container.c -> ../../../x (relative, out of the tree): unknown, exit 3" \
    || not_ok "container.c -> ../../../x (relative, out of the tree): unknown, exit 3"

fresh zero; rm "$f" && ln -s /dev/zero "$f"
unknown "is a symlink out of the tree" && ok "container.c -> /dev/zero: nothing read, unknown, exit 3" \
    || not_ok "container.c -> /dev/zero: nothing read, unknown, exit 3"

fresh fifo; rm "$f" && mkfifo "$f"
unknown "is not a regular file" && ok "container.c a FIFO: no hang, unknown, exit 3" \
    || not_ok "container.c a FIFO: no hang, unknown, exit 3"

if [ "$(id -u)" = 0 ]; then
    fresh dev; rm "$f" && mknod "$f" c 1 5   # /dev/zero's numbers, inside the tree
    unknown "is not a regular file" && ok "container.c a character device inside the tree: unknown, exit 3" \
        || not_ok "container.c a character device inside the tree: unknown, exit 3"
else
    skip "not root: cannot make a device node"
fi

fresh big; truncate -s 17M "$f"
unknown "is over 16 MiB" && ok "container.c of 17 MiB: not read, unknown, exit 3" \
    || not_ok "container.c of 17 MiB: not read, unknown, exit 3"

fresh inside; mv "$f" "$t/hw/vfio/container-real.c" && ln -s container-real.c "$f"
st --json
{ assert_rc 1 && [ "$(jq -r '.lines[].refs[0].verdict' "$TEST_TMP/out")" = affected ]; } \
    && ok "container.c -> a file inside the tree: followed, affected" \
    || not_ok "container.c -> a file inside the tree: followed, affected"

fresh version; rm "$t/VERSION" && ln -s /dev/zero "$t/VERSION"
st
{ assert_rc 3 && assert_one_line_error "is not a QEMU source tree (VERSION is a symlink out of the tree)"; } \
    && ok "VERSION -> /dev/zero: refused as not a QEMU tree, nothing read" \
    || not_ok "VERSION -> /dev/zero: refused as not a QEMU tree, nothing read"

fresh series; mkdir -p "$t/debian/patches"
printf '../../../../etc/passwd\n/etc/shadow\nmissing.patch\n' >"$t/debian/patches/series"
st --json
{ assert_rc 1 && [ "$(jq -r '.lines[].refs[0].fix.evidence | length' "$TEST_TMP/out")" = 0 ]; } \
    && ok "debian/patches/series naming paths out of the tree: not read, still affected" \
    || not_ok "debian/patches/series naming paths out of the tree: not read, still affected"

# the generic probe (a pack with no probe keys) reads the same way
fresh generic-missing; rm "$f"
BACKPORT_PACKS="$TEST_TMP/packs-generic" unknown missing \
    && ok "generic probe, container.c missing: unknown, exit 3" || not_ok "generic probe, container.c missing: unknown, exit 3"
fresh generic-zero; rm "$f" && ln -s /dev/zero "$f"
BACKPORT_PACKS="$TEST_TMP/packs-generic" unknown "is a symlink out of the tree" \
    && ok "generic probe, container.c -> /dev/zero: unknown, exit 3" \
    || not_ok "generic probe, container.c -> /dev/zero: unknown, exit 3"
finish
