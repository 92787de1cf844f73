# backport repro: the bug reproduces with the old policy on private RAM and
# never with shared RAM or the fix; the tree policy runs each tree's own
# decision.  Asserted on the counts in --json, not on text.
. "$(dirname "$0")/libtest.sh"
plan 45

debian_cache="${BP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backport-tests}"
export XDG_CACHE_HOME="$TEST_TMP/cache"
MKTREE="$FIXTURES/make-vfio-tree.sh"

# json KEY: the number (or true/false/string) KEY has in the last --json output
json() { sed -n "s/^ *\"$1\" : \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$TEST_TMP/out" | head -n 1; }
# expect KEY VALUE...: each KEY of the last output has its VALUE
expect() {
    while [ $# -ge 2 ]; do
        v=$(json "$1")
        if [ "$v" != "$2" ]; then diag "$1 is '$v', expected '$2'"; sed 's/^/#   /' "$TEST_TMP/out" "$TEST_TMP/err" >&2; return 1; fi
        shift 2
    done
}
# case NAME EXPECTED_RC ARGS... -- KEY VALUE ...
case_() {
    name=$1 want=$2; shift 2
    args=""
    while [ $# -gt 0 ] && [ "$1" != -- ]; do args="$args $1"; shift; done
    [ $# -gt 0 ] && shift
    # shellcheck disable=SC2086
    bp repro $args --json
    if assert_rc "$want" && expect "$@"; then ok "$name"; else not_ok "$name"; fi
}

huge=""
if [ "$(id -u)" != 0 ]; then
    huge="not root: hugetlbfs needs root to mount it and raise nr_hugepages"
elif ! grep -q '^Hugepagesize:' /proc/meminfo; then
    huge="kernel without huge pages"
fi
# nr_hugepages and our hugetlbfs mounts while no run (of this or any other
# test) uses the pool: a run holds a shared flock on the users file from
# raising the pool to restoring it.
users_lock=/run/backport-hugepages.users
[ -w /run ] || users_lock=/tmp/backport-hugepages.users
pool_state() {
    flock -x "$users_lock" sh -c 'echo "nr_hugepages=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0) mounts=$(grep -c bp-hugetlbfs /proc/self/mounts)"'
}
state_before=$(pool_state)

# ---- usage ----
bp repro --backing floppy
{ assert_rc 2 && assert_one_line_error "--backing floppy"; } && ok "unknown backing: exit 2, one line" || not_ok "unknown backing: exit 2, one line"
bp repro --policy tree
{ assert_rc 2 && assert_one_line_error "needs --tree DIR or --repo DIR --rev REV"; } && ok "policy tree without a source: exit 2" || not_ok "policy tree without a source: exit 2"
bad_sizes=""
for sz in -1 -64M ' 64M' 99999999999999999999 0 16E; do
    bp repro --size "$sz"
    { assert_rc 2 && assert_one_line_error "give bytes"; } >/dev/null 2>&1 || bad_sizes="$bad_sizes [$sz]"
done
[ -z "$bad_sizes" ] && ok "--size -1, -64M, a leading blank, overflow, 0, 16E: usage, exit 2" \
  || not_ok "--size -1, -64M, a leading blank, overflow, 0, 16E: usage, exit 2 (not:$bad_sizes)"

# ---- the policies on each backing (32 MiB: 16 huge pages, 8192 small ones) ----
if [ -n "$huge" ]; then
    for n in 1 2 3 4 5; do skip "$huge"; done
else
    case_ "hugetlbfs share=off, old: reproduced, half the pages stale and lost, PFNs diverge after the writes" 1 \
        --backing hugetlbfs --share off --size 32M --policy old -- \
        reproduced true backing hugetlbfs path by-file pages 16 pages_dirtied 8 stale_reads 8 \
        device_writes 16 lost_writes 8 pfn_diverged_before 0 pfn_diverged 8 extra_hugepages 0
    case_ "hugetlbfs share=on, old: no inconsistency" 0 \
        --backing hugetlbfs --share on --size 32M --policy old -- \
        reproduced false path by-file pages 16 stale_reads 0 lost_writes 0 pfn_diverged 0 extra_hugepages 0
    case_ "hugetlbfs share=off, fixed: by address, no inconsistency" 0 \
        --backing hugetlbfs --share off --size 32M --policy fixed -- \
        reproduced false path by-address pages 16 pages_dirtied 8 stale_reads 0 lost_writes 0 extra_hugepages 0
    case_ "sparse hugetlbfs, old: every device write lost and a second copy of RAM allocated" 1 \
        --backing hugetlbfs --share off --size 32M --sparse --policy old -- \
        reproduced true pages 16 stale_reads 8 device_writes 16 lost_writes 16 extra_hugepages 16 pfn_diverged_before 16
    case_ "sparse memfd-hugetlb, old: every device write lost" 1 \
        --backing memfd-hugetlb --share off --size 32M --sparse --policy old -- \
        reproduced true pages 16 device_writes 16 lost_writes 16 extra_hugepages 16
fi
case_ "memfd share=off, old: reproduced" 1 --backing memfd --share off --size 32M --policy old -- \
    reproduced true backing memfd path by-file pages 8192 pages_dirtied 4096 stale_reads 4096 lost_writes 4096
case_ "memfd share=on, old: no inconsistency" 0 --backing memfd --share on --size 32M --policy old -- \
    reproduced false stale_reads 0 lost_writes 0
case_ "memfd share=off, fixed: no inconsistency" 0 --backing memfd --share off --size 32M --policy fixed -- \
    reproduced false path by-address stale_reads 0 lost_writes 0
case_ "memfd share=on, fixed: by file, no inconsistency" 0 --backing memfd --share on --size 32M --policy fixed -- \
    reproduced false path by-file stale_reads 0 lost_writes 0
case_ "tmpfs share=off, old, every 3rd page: reproduced" 1 --backing tmpfs --size 12M --dirty-every 3 -- \
    reproduced true pages 3072 pages_dirtied 1024 stale_reads 1024 lost_writes 1024

# ---- hygiene ----
if [ -n "$huge" ]; then
    skip "$huge"; skip "$huge"
else
    now=$(pool_state)
    if [ "$now" = "$state_before" ]; then ok "$now restored after the runs"
    else diag "$state_before -> $now"; not_ok "nr_hugepages and mounts restored after the runs"; fi
    # SIGTERM while the guest RAM, the mount and the device exist
    "$BACKPORT" repro --backing hugetlbfs --size 256M --sparse >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
    pid=$!
    # wait for the device process: then the pool is raised and the file mounted
    i=0 kids=""
    while [ $i -lt 2000 ] && [ -z "$kids" ] && [ -d /proc/$pid ]; do
        kids=$(cat /proc/$pid/task/$pid/children 2>/dev/null || true); i=$((i + 1))
    done
    kill -TERM $pid; trc=0; wait $pid 2>/dev/null || trc=$?
    sleep 0.2
    now=$(pool_state)
    alive=""
    # a killed device may linger as a zombie until init reaps it: not alive
    for k in $kids; do
        st=$(sed 's/.*) \(.\).*/\1/' /proc/$k/stat 2>/dev/null || echo gone)
        case $st in gone|Z|X) ;; *) alive="$alive $k($st)" ;; esac
    done
    if [ -n "$kids" ] && [ "$now" = "$state_before" ] && [ -z "$alive" ]; then
        ok "SIGTERM (exit $trc): nr_hugepages, mount and device process cleaned up"
    else
        diag "after SIGTERM: $state_before -> $now, device pid(s) '$kids', alive:$alive"
        not_ok "SIGTERM: cleaned up"
    fi
fi

# ---- hostile sizes and interruptions (issue 19) ----
# Guest RAM over what the host has: refused before anything is allocated (it
# used to fall back to memfd and let the OOM killer take the host).  The size
# is at least 100G and at least 4x MemTotal; first as a user who cannot
# raise the pool, with the address space capped (sanitizers need a large
# one), so that a regression fails on mmap instead of eating the host; as
# root (default backing, hugetlbfs) only once that passed.
mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
big_g=$(( mem_kb * 4 / 1048576 + 1 )); [ "$big_g" -lt 100 ] && big_g=100
limit_as() { if [ -z "${ASAN_OPTIONS:-}" ]; then ulimit -v 4194304; fi; }
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_CACHE_HOME=/nonexistent "$@"; }
    user_bin=$(mktemp -d /tmp/bp-nobody.XXXXXX); chmod 755 "$user_bin"
    cp "$BACKPORT" "$user_bin/backport" && chmod 755 "$user_bin/backport"
else
    as_user() { "$@"; }; user_bin=$(dirname "$BACKPORT")
fi
rc=0
(limit_as; exec timeout 60 sh -c 'as_user() { '"$(command -v setpriv >/dev/null && [ "$(id -u)" = 0 ] && echo 'setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_CACHE_HOME=/nonexistent "$@"' || echo '"$@"')"'; }; as_user "$0" repro --size "$1"' \
    "$user_bin/backport" "${big_g}G") >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
[ "$user_bin" != "$(dirname "$BACKPORT")" ] && rm -rf "$user_bin"
if assert_rc 3 && assert_one_line_error "--size ${big_g}G: guest RAM of .* GiB available"; then
    ok "--size ${big_g}G as a user: refused before allocating, one line, exit 3"
    size_ok=1
else
    not_ok "--size ${big_g}G as a user: refused before allocating"; size_ok=0
fi
if [ -n "$huge" ]; then
    skip "$huge"
elif [ $size_ok = 1 ]; then
    before=$(pool_state)
    rc=0; timeout 60 "$BACKPORT" repro --size "${big_g}G" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
    { assert_rc 3 && assert_one_line_error "ask for .* GiB or less" && [ "$(pool_state)" = "$before" ]; } \
      && ok "--size ${big_g}G as root (hugetlbfs): refused, the pool untouched" || not_ok "--size ${big_g}G as root: refused, the pool untouched"
else
    skip "the size check failed as a user: not trying it as root"
fi

# SIGKILL while the pool is raised and hugetlbfs mounted: nothing can clean
# up then, so a state file says what is held and the next run gives it back
# with one line on stderr (they used to stay forever, and later runs took
# the raised pool as their baseline).
if [ -n "$huge" ]; then
    skip "$huge"
else
    before=$(pool_state)
    "$BACKPORT" repro --backing hugetlbfs --size 64M --sparse >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
    pid=$!
    i=0 kids=""
    while [ $i -lt 4000 ] && [ -z "$kids" ] && [ -d /proc/$pid ]; do
        kids=$(cat /proc/$pid/task/$pid/children 2>/dev/null || true); i=$((i + 1))
    done
    kill -KILL $pid; wait $pid 2>/dev/null
    sleep 0.2
    held=$(cat /proc/sys/vm/nr_hugepages) mounted=$(grep -c bp-hugetlbfs /proc/self/mounts)
    bp repro --backing memfd --size 4M
    after=$(pool_state)
    if [ -n "$kids" ] && assert_rc 1 && assert_one_line_error "recovered what 1 interrupted run left: gave back .* huge pages (nr_hugepages .*), unmounted /tmp/bp-hugetlbfs" \
       && [ "$after" = "$before" ]; then
        ok "SIGKILL (pool at $held, $mounted mount(s) left): the next run gives them back, one line"
    else
        diag "before: $before; after the kill: nr_hugepages=$held mounts=$mounted; after the next run: $after"
        not_ok "SIGKILL: the next run gives back the pool and the mount"
        # do not leave the machine changed: undo what the state file says
        for s in /run/backport-repro/$pid-*.state /tmp/backport-repro/$pid-*.state; do
            [ -f "$s" ] || continue
            a=$(sed -n 's/^added=//p' "$s"); m=$(sed -n 's/^mount=//p' "$s")
            [ -n "$a" ] && echo $(( $(cat /proc/sys/vm/nr_hugepages) - a )) >/proc/sys/vm/nr_hugepages
            [ -n "$m" ] && umount -l "$m" && rmdir "$m"
            rm -f "$s"
        done
    fi
fi

# SIGINT/SIGTERM while the tree policy compiles: the scratch directory and
# the compiler go too (bp-repro-harness-* used to stay in TMPDIR in 24 of 32
# runs).  Each run has its own TMPDIR and an empty cache, so it compiles.
sh "$MKTREE" 10.2 "$TEST_TMP/sig-tree"
left=0 alive=0 runs=16
for n in $(seq 1 $runs); do
    t="$TEST_TMP/sig-$n"; mkdir -p "$t"
    sig=INT; [ $((n % 2)) = 0 ] && sig=TERM
    TMPDIR="$t" XDG_CACHE_HOME="$t/cache" "$BACKPORT" repro --backing memfd --size 64M --tree "$TEST_TMP/sig-tree" >/dev/null 2>&1 &
    pid=$!
    sleep 0.$(printf '%03d' $(( (n * 37) % 290 + 5 )))
    kill -$sig $pid 2>/dev/null; wait $pid 2>/dev/null
    sleep 0.1
    [ -n "$(ls "$t" | grep 'bp-repro-harness-')" ] && left=$((left + 1))
    # a compiler or harness of this run still running (zombies do not count)
    for p in $(pgrep -f "$t/" 2>/dev/null); do
        case $(sed 's/.*) \(.\).*/\1/' /proc/$p/stat 2>/dev/null || echo gone) in gone|Z|X) ;; *) alive=$((alive + 1)) ;; esac
    done
done
{ [ $left -eq 0 ] && [ $alive -eq 0 ]; } && ok "SIGINT/SIGTERM during --policy tree, $runs runs: no bp-repro-harness-* left, no compiler alive" \
  || not_ok "SIGINT/SIGTERM during --policy tree: $left of $runs runs left bp-repro-harness-*, $alive process(es) alive"

# ---- not root: fall back to memfd, or exit 3 when hugetlbfs was asked for ----
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
    skip "needs root and setpriv to run as nobody"; skip "needs root and setpriv to run as nobody"
else
    # the build dir may sit under a directory only root can enter (a CI
    # checkout in a mktemp dir): run a copy nobody can reach
    nobody_dir=$(mktemp -d /tmp/bp-nobody.XXXXXX); chmod 755 "$nobody_dir"
    cp "$BACKPORT" "$nobody_dir/backport"; chmod 755 "$nobody_dir/backport"
    trap 'rm -rf "$TEST_TMP" "$nobody_dir"' EXIT
    asnobody() { rc=0; setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_CACHE_HOME=/nonexistent "$nobody_dir/backport" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?; }
    asnobody repro --size 8M --json
    if assert_rc 1 && expect backing memfd reproduced true pfn_diverged -1 && assert_stdout '"backing_reason" : "hugetlbfs unavailable'; then
        ok "as nobody: falls back to memfd with the reason, still reproduces"
    else not_ok "as nobody: falls back to memfd"; fi
    asnobody repro --size 8M --backing hugetlbfs
    { assert_rc 3 && assert_one_line_error "hugetlbfs backing: .*only root"; } && ok "as nobody, --backing hugetlbfs: exit 3, one line" || not_ok "as nobody, --backing hugetlbfs: exit 3"
fi

# ---- --bisect-exit ----
sh "$MKTREE" 10.2 "$TEST_TMP/t102" && sh "$MKTREE" 10.2 "$TEST_TMP/t102f" --fixed
mkdir -p "$TEST_TMP/empty/hw/vfio"
bp repro --bisect-exit --backing memfd --size 4M --tree "$TEST_TMP/t102"
assert_rc 1 && ok "--bisect-exit: bad tree exits 1" || not_ok "--bisect-exit: bad tree exits 1"
bp repro --bisect-exit --backing memfd --size 4M --tree "$TEST_TMP/t102f"
assert_rc 0 && ok "--bisect-exit: fixed tree exits 0" || not_ok "--bisect-exit: fixed tree exits 0"
bp repro --bisect-exit --backing memfd --size 4M --tree "$TEST_TMP/empty"
{ assert_rc 125 && assert_stderr "skip"; } && ok "--bisect-exit: no decision in the tree exits 125" || not_ok "--bisect-exit: no decision exits 125"

# ---- tree policy on synthetic trees of each era ----
# era, --fixed?, expected path for share=off, rc
for spec in "9.2 - by-address 0" "10.0 - by-address 0" "10.1-pre - by-address 0" "10.1 - by-file 1" \
            "10.1 --fixed by-address 0" "10.2 - by-file 1" "10.2 --fixed by-address 0" "11.0 - by-file 1"; do
    set -- $spec
    era=$1 fx=$2 path=$3 want=$4
    d="$TEST_TMP/era-$era$fx"
    [ "$fx" = - ] && fx=""
    sh "$MKTREE" "$era" "$d" $fx
    bp repro --json --backing memfd --size 4M --tree "$d"
    if assert_rc "$want" && expect path "$path"; then
        # share=on always maps by file once the era has the file path, and never reproduces
        bp repro --json --backing memfd --size 4M --share on --tree "$d"
        if assert_rc 0 && expect reproduced false; then ok "era $era ${fx:-unfixed}: share=off $path (exit $want), share=on clean"
        else not_ok "era $era ${fx:-unfixed}: share=on"; fi
    else
        not_ok "era $era ${fx:-unfixed}: share=off $path"
    fi
done
bp repro --json --backing memfd --size 4M --tree "$TEST_TMP/era-10.1-"
assert_stdout 'hw/vfio/container-base.c (10.1 API)' && ok "10.1: the defining container-base.c is used, not the legacy container.c" \
    || not_ok "10.1: the defining container-base.c is used"

# ---- the compiled decisions are cached: with no compiler, a known text still answers ----
n=$(ls "$XDG_CACHE_HOME/backport/repro" | wc -l)
rc=0; CC=/bin/false "$BACKPORT" repro --json --backing memfd --size 4M --tree "$TEST_TMP/t102" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
if [ "$n" -ge 5 ] && assert_rc 1 && expect path by-file; then ok "decisions cached by content ($n entries): no recompile"
else not_ok "decisions cached by content ($n entries)"; fi

# ---- --repo --rev: from blobs, no checkout ----
repo="$TEST_TMP/repo"
mkdir -p "$repo"
(
    cd "$repo" && git init -q && git config user.email t@example.org && git config user.name test
    sh "$MKTREE" 10.0 . && git add -A && git commit -qm "10.0 shape"
    sh "$MKTREE" 10.1 . && git add -A && git commit -qm "culprit shape" && git tag culprit
    sh "$MKTREE" 10.1 . --fixed && git add -A && git commit -qm "fixed"
    # the worktree says something else again: only blobs may be read
    sh "$MKTREE" 10.1 .
) >/dev/null 2>&1
bp repro --json --backing memfd --size 4M --repo "$repo" --rev culprit
r1=$rc; p1=$(json path)
bp repro --json --backing memfd --size 4M --repo "$repo" --rev HEAD
r2=$rc; p2=$(json path)
bp repro --json --backing memfd --size 4M --repo "$repo" --rev HEAD~2
r3=$rc; p3=$(json path)
st=$(git -C "$repo" status --porcelain | wc -l)
if [ "$r1/$p1 $r2/$p2 $r3/$p3" = "1/by-file 0/by-address 0/by-address" ] && [ "$st" -eq 1 ]; then
    ok "--repo --rev reads each revision's blob (culprit bad, HEAD fixed, HEAD~2 10.0) and leaves the worktree alone"
else diag "culprit $r1/$p1, HEAD $r2/$p2, HEAD~2 $r3/$p3, dirty files $st"; not_ok "--repo --rev"; fi
bp repro --backing memfd --size 4M --repo "$repo" --rev no-such-rev
{ assert_rc 3 && assert_one_line_error "revision 'no-such-rev' not found"; } && ok "unknown --rev: exit 3, one line" || not_ok "unknown --rev: exit 3, one line"

# ---- extraction and compile failures ----
# The tree's files are untrusted input: a container.c that is a link to
# /dev/zero is refused before it is read (it used to be read without end),
# and one that leads out of the tree is refused.
mkdir -p "$TEST_TMP/zero/hw/vfio"
ln -s /dev/zero "$TEST_TMP/zero/hw/vfio/container.c"
rc=0
(limit_as; exec timeout 60 "$BACKPORT" repro --backing memfd --size 4M --tree "$TEST_TMP/zero") >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
{ assert_rc 3 && assert_one_line_error "hw/vfio/container.c leads out of the tree (/dev/zero): refused"; } \
  && ok "container.c -> /dev/zero: refused before reading, exit 3" || not_ok "container.c -> /dev/zero: refused before reading, exit 3"
# inside the tree: a FIFO is no source file, and 17 MiB is over the limit
mkdir -p "$TEST_TMP/fifo/hw/vfio" "$TEST_TMP/big/hw/vfio"
mkfifo "$TEST_TMP/fifo/hw/vfio/container.c"
rc=0; timeout 60 "$BACKPORT" repro --backing memfd --size 4M --tree "$TEST_TMP/fifo" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
fifo_ok=0; { assert_rc 3 && assert_one_line_error "hw/vfio/container.c: not a regular file"; } && fifo_ok=1
head -c $((17 * 1024 * 1024)) /dev/zero | tr "\\0" "x" >"$TEST_TMP/big/hw/vfio/container.c"
bp repro --backing memfd --size 4M --tree "$TEST_TMP/big"
{ [ $fifo_ok = 1 ] && assert_rc 3 && assert_one_line_error "hw/vfio/container.c: over the 16 MiB limit"; } \
  && ok "container.c a FIFO, or 17 MiB: refused, exit 3" || not_ok "container.c a FIFO, or 17 MiB: refused, exit 3"

mkdir -p "$TEST_TMP/out-of-tree/hw/vfio"
ln -s "$TEST_TMP/t102/hw/vfio/container.c" "$TEST_TMP/out-of-tree/hw/vfio/container.c"
bp repro --backing memfd --size 4M --tree "$TEST_TMP/out-of-tree"
{ assert_rc 3 && assert_one_line_error "leads out of the tree"; } \
  && ok "container.c linked out of the tree: refused, exit 3" || not_ok "container.c linked out of the tree: refused, exit 3"
bp repro --backing memfd --size 4M --tree "$TEST_TMP/empty"
{ assert_rc 3 && assert_one_line_error "no file in .*defines vfio_container_dma_map()"; } && ok "tree without the decision: exit 3, one line" || not_ok "tree without the decision: exit 3"
mkdir -p "$TEST_TMP/broken/hw/vfio"
printf 'int vfio_container_dma_map(VFIOContainer *c, hwaddr iova, uint64_t size,\n void *vaddr, bool ro, MemoryRegion *mr)\n{\n    if (x) {\n        return 0;\n' >"$TEST_TMP/broken/hw/vfio/container.c"
bp repro --backing memfd --size 4M --tree "$TEST_TMP/broken"
{ assert_rc 3 && assert_one_line_error "cannot parse"; } && ok "unbalanced decision: exit 3, cannot parse" || not_ok "unbalanced decision: exit 3"
mkdir -p "$TEST_TMP/nocc/hw/vfio"
printf 'int vfio_container_dma_map(VFIOContainer *c, hwaddr iova, uint64_t size,\n void *vaddr, bool ro, MemoryRegion *mr)\n{\n    return qemu_something_new(c, mr);\n}\n' >"$TEST_TMP/nocc/hw/vfio/container.c"
bp repro --backing memfd --size 4M --tree "$TEST_TMP/nocc"
{ assert_rc 3 && assert_one_line_error "does not compile against the shim: .*qemu_something_new"; } && ok "decision calling unknown code: exit 3, does not compile" || not_ok "decision calling unknown code: exit 3"

# ---- the real Debian trees ----
# The tree policy only reads them: link the cached trees (--shared), and
# patch a copy of what the policy reads (VERSION and hw/vfio).  The fixture
# caches under the real cache directory, not this test's.
dsrc() { BP_TEST_CACHE="$debian_cache" sh "$FIXTURES/debian-source.sh" "$1" "$2" --shared 2>"$TEST_TMP/why"; }
if dsrc 10.0.13 "$TEST_TMP/q100"; then
    case_ "Debian 10.0.13: no file path, no inconsistency" 0 --backing memfd --size 8M --tree "$TEST_TMP/q100" -- \
        reproduced false path by-address
else
    skip "Debian 10.0.13 source: $(cat "$TEST_TMP/why")"
fi
if dsrc 10.2.2 "$TEST_TMP/q102"; then
    case_ "Debian 10.2.2: bug reproduced" 1 --backing memfd --size 8M --tree "$TEST_TMP/q102" -- \
        reproduced true path by-file
    series="$BP_SOURCE_DIR/patches/vfio-map-file-private/10.2/series"
    if ! ls "$BP_SOURCE_DIR"/patches/vfio-map-file-private/10.2/0001-*.patch >/dev/null 2>&1 || [ ! -f "$series" ]; then
        skip "no patches/vfio-map-file-private/10.2/0001-*.patch and series in this checkout yet"
    else
        fixed="$TEST_TMP/q102-fixed"
        mkdir -p "$fixed/hw"
        cp "$TEST_TMP/q102/VERSION" "$fixed/" && cp -R "$TEST_TMP/q102/hw/vfio" "$fixed/hw/"
        applied=1
        while read -r p; do
            case $p in ''|'#'*) continue ;; esac
            (cd "$fixed" && patch -p1 --quiet <"$(dirname "$series")/$p") >>"$TEST_TMP/why" 2>&1 || applied=0
        done <"$series"
        if [ $applied = 0 ]; then
            diag "$(cat "$TEST_TMP/why")"; not_ok "Debian 10.2.2 + the pack's series: patch -p1 failed"
        else
            case_ "Debian 10.2.2 + the pack's series (patch -p1): no inconsistency" 0 --backing memfd --size 8M --tree "$fixed" -- \
                reproduced false path by-address
        fi
    fi
else
    skip "Debian 10.2.2 source: $(cat "$TEST_TMP/why")"; skip "Debian 10.2.2 source: $(cat "$TEST_TMP/why")"
fi

finish
