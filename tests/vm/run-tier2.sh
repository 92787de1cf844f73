#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-tier2.sh [--kernel-only] [--rebuild]
#
#   Opt-in (not part of the default test suite): tier 2 of the reproducer on a
#   real kernel.  Distribution kernels never enable the iommufd test mock, so
#   this script
#     1. fetches Debian's linux source (a private apt state with deb-src for
#        sid, newest version first, the next one when the pool answers 404),
#     2. builds a minimal bzImage with CONFIG_IOMMUFD_TEST (tinyconfig plus the
#        options below), cached under ~/.cache/backport-tests/vm,
#     3. checks src/repro/iommufd-abi.h against that kernel's headers,
#     4. packs bp-repro-static as /init into an initramfs, with the unit test
#        tests/unit/test-tier2 and the backport command (and the libraries
#        they need) beside it,
#     5. boots it under qemu-system-x86_64 with TCG (no KVM): /init runs the
#        tier 2 matrix, then the unit test's kernel cases and a few
#        `backport repro --tier=2` runs, and reboots; the script checks that
#        the verdict line says BUG REPRODUCED, that the unit test passed and
#        that backport repro exited 1 for the old decision on private RAM and
#        0 for the fix and for share=on.  A second boot runs the matrix with the guest
#        reading its RAM before the map, for comparison.
#
#   Exit 0 when the verdict is BUG REPRODUCED and the unit test and backport
#   repro behaved in the VM, 1 when the run finished otherwise (or the ABI check failed), 3 when
#   something it needs is missing (package, network, static libc), 99 when
#   the guest did not get to a verdict.
#
#   Environment: BP_TEST_CACHE (cache root, default ~/.cache/backport-tests),
#   BP_BUILD_DIR (meson build dir holding src/bp-repro-static, default
#   <source>/build-static, set up here when missing), BP_VM_JOBS (make -j,
#   default 2), BP_VM_TIMEOUT (seconds for the boot, default 600).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
cache="${BP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backport-tests}/vm"
jobs=${BP_VM_JOBS:-2}
boot_timeout=${BP_VM_TIMEOUT:-600}
kernel_only=0 rebuild=0
for a in "$@"; do
    case $a in
        --kernel-only) kernel_only=1 ;;
        --rebuild) rebuild=1 ;;
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-tier2: unknown argument $a (see --help)" >&2; exit 2 ;;
    esac
done

say() { echo "run-tier2: $*" >&2; }
missing() { say "$*"; exit 3; }
now() { date +%s; }

# ---- packages -------------------------------------------------------------
# command -> Debian package
need=""
for pair in qemu-system-x86_64:qemu-system-x86 cpio:cpio flex:flex bison:bison bc:bc \
            make:make gcc:gcc xz:xz-utils gzip:gzip apt-get:apt dpkg-source:dpkg-dev \
            perl:perl meson:meson ninja:ninja-build; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need="$need ${pair#*:}"
done
[ -f /usr/include/gelf.h ] || need="$need libelf-dev"
[ -f /usr/include/openssl/ssl.h ] || need="$need libssl-dev"
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need="$need libc6-dev"
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing missing packages:$need"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >&2 \
            || missing "could not install:$need (run: apt-get install$need)"
    else
        missing "missing packages:$need (run as root: apt-get install$need)"
    fi
fi

mkdir -p "$cache"

# ---- 1. Debian's linux source ---------------------------------------------
apt="$cache/apt"
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/etc/sources.list.d" "$apt/etc/preferences.d"
if [ ! -s "$apt/etc/sources.list" ]; then
    uris=$(apt-cache policy 2>/dev/null | awk '
        /^ *[0-9]+ (https?|file):/ { uri = $2; next }
        /release .*o=Debian,/ && !/l=Debian-Security/ && uri != "" { print uri; uri = "" }' | sort -u)
    [ -n "$uris" ] || missing "the system's apt has no Debian archive URI to build a deb-src entry from"
    for u in $uris; do printf 'deb-src %s sid main\n' "$u"; done >"$apt/etc/sources.list"
fi
cat >"$apt/apt.conf" <<CONF
Dir::State "$apt";
Dir::State::lists "$apt/lists";
Dir::Cache "$apt";
Dir::Etc::sourcelist "$apt/etc/sources.list";
Dir::Etc::sourceparts "$apt/etc/sources.list.d";
Dir::Etc::preferencesparts "$apt/etc/preferences.d";
Debug::NoLocking "true";
APT::Sandbox::User "$(id -un)";
CONF

# The kernel options: tinyconfig plus what a console, an initramfs, huge pages,
# memfd and the iommufd test mock need.  On 7.x the mock needs the generic
# page table code, which is visible only with COMPILE_TEST.
options="64BIT PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE BLK_DEV_INITRD RD_GZIP
BINFMT_ELF DEVTMPFS PROC_FS PROC_PAGE_MONITOR PROC_SYSCTL SYSFS TMPFS SHMEM
HUGETLBFS MEMFD_CREATE CROSS_MEMORY_ATTACH MULTIUSER FUTEX
DEBUG_KERNEL FAULT_INJECTION RUNTIME_TESTING_MENU COMPILE_TEST
GENERIC_PT IOMMU_PT IOMMU_PT_AMDV1 IOMMU_SUPPORT IOMMUFD IOMMUFD_TEST"
opthash=$(echo "$options" | cksum | cut -d' ' -f1)

linux_src=$(ls -d "$cache"/linux-*/ 2>/dev/null | grep -v '\.work' | sort -V | tail -n 1 || true)
linux_src=${linux_src%/}
if [ -z "$linux_src" ] || [ ! -f "$linux_src/Makefile" ]; then
    t0=$(now)
    if [ ! -s "$apt/lists/.updated" ]; then
        say "apt-get update (private deb-src index for sid)"
        APT_CONFIG="$apt/apt.conf" apt-get update -q >"$cache/apt-update.log" 2>&1 \
            || missing "apt-get update of the private deb-src index failed (no network?): see $cache/apt-update.log"
        date >"$apt/lists/.updated"
    fi
    versions=$(APT_CONFIG="$apt/apt.conf" apt-cache showsrc --only-source linux 2>/dev/null \
        | sed -n 's/^Version: //p' | sort -V -r -u)
    [ -n "$versions" ] || missing "no linux source package in the deb-src index"
    got=""
    for v in $versions; do
        work="$cache/.work"
        rm -rf "$work"; mkdir -p "$work"
        say "apt-get source --download-only linux=$v"
        if (cd "$work" && APT_CONFIG="$apt/apt.conf" apt-get source -q --download-only "linux=$v") \
                >"$cache/apt-source.log" 2>&1; then
            got=$v; break
        fi
        say "linux=$v could not be downloaded ($(grep -m 1 '^E: ' "$cache/apt-source.log" | sed 's/^E: //; s/ *\[IP:.*//')); trying the next version"
    done
    [ -n "$got" ] || missing "no linux source version could be downloaded: see $cache/apt-source.log"
    orig=$(ls "$work"/linux_*.orig.tar.* | head -n 1)
    upstream=${got%%-*}
    say "unpacking $(basename "$orig") (Debian linux $got)"
    tar -C "$work" -xf "$orig"
    top=$(ls -d "$work"/linux*/ | head -n 1)
    rm -rf "$cache/linux-$upstream"
    mv "$top" "$cache/linux-$upstream"
    echo "$got" >"$cache/linux-$upstream/.debian-version"
    rm -rf "$work"
    linux_src="$cache/linux-$upstream"
    say "source ready in $(( $(now) - t0 )) s: $linux_src"
fi
kver=$(basename "$linux_src"); kver=${kver#linux-}
debver=$(cat "$linux_src/.debian-version" 2>/dev/null || echo "$kver")

# ---- 2. kernel --------------------------------------------------------------
bzimage="$cache/bzImage-$kver-$opthash"
kbuild_time=cached
if [ $rebuild = 1 ] || [ ! -s "$bzimage" ]; then
    t0=$(now)
    kout="$cache/kbuild-$kver"
    mkdir -p "$kout"
    say "configuring Linux $kver (tinyconfig + iommufd test mock)"
    make -s -C "$linux_src" O="$kout" tinyconfig >"$cache/kbuild.log" 2>&1
    set --
    for o in $options; do set -- "$@" --enable "$o"; done
    "$linux_src/scripts/config" --file "$kout/.config" "$@" --disable WERROR --disable DRM_WERROR
    make -s -C "$linux_src" O="$kout" olddefconfig >>"$cache/kbuild.log" 2>&1
    for o in IOMMUFD IOMMUFD_TEST HUGETLBFS MEMFD_CREATE BLK_DEV_INITRD SERIAL_8250_CONSOLE DEVTMPFS; do
        grep -q "^CONFIG_$o=y" "$kout/.config" \
            || { say "CONFIG_$o=y did not survive olddefconfig on Linux $kver (see $kout/.config)"; exit 3; }
    done
    say "building bzImage with -j$jobs (nice 10); log: $cache/kbuild.log"
    nice -n 10 make -C "$linux_src" O="$kout" -j"$jobs" bzImage >>"$cache/kbuild.log" 2>&1 \
        || { tail -n 30 "$cache/kbuild.log" >&2; say "kernel build failed"; exit 99; }
    cp "$kout/arch/x86/boot/bzImage" "$bzimage"
    kbuild_time="$(( $(now) - t0 )) s"
    say "kernel built in $kbuild_time: $bzimage"
fi
echo "kernel: Linux $kver (Debian source $debver), build: $kbuild_time"
[ $kernel_only = 1 ] && exit 0

# ---- 3. our ABI against this kernel's headers ------------------------------
abi="$cache/abi-check"
${CC:-cc} -std=gnu11 -Wall -Werror -Wno-cpp -I"$linux_src/include/uapi" -I"$linux_src/arch/x86/include/uapi" \
    -I"$linux_src/drivers/iommu/iommufd" -I"$srcdir/src/repro" "$here/abi-check.c" -o "$abi" 2>"$cache/abi-check.log" \
    || { cat "$cache/abi-check.log" >&2; say "src/repro/iommufd-abi.h disagrees with Linux $kver's iommufd headers"; exit 1; }
"$abi"

# ---- 4. static reproducer, the unit test, and the initramfs ---------------
bdir=${BP_BUILD_DIR:-$srcdir/build-static}
if [ ! -f "$bdir/build.ninja" ]; then
    say "meson setup $bdir"
    meson setup "$bdir" "$srcdir" >"$cache/meson.log" 2>&1 \
        || { tail -n 20 "$cache/meson.log" >&2; missing "meson setup failed: see $cache/meson.log"; }
fi
ninja -C "$bdir" src/bp-repro-static tests/test-tier2 src/backport >"$cache/ninja.log" 2>&1 \
    || { tail -n 20 "$cache/ninja.log" >&2; missing "could not build bp-repro-static, test-tier2 and backport in $bdir (a static libc is libc6-dev; no sanitizers): see $cache/ninja.log"; }
static="$bdir/src/bp-repro-static"
unit="$bdir/tests/test-tier2"
cli="$bdir/src/backport"
if command -v file >/dev/null; then
    file "$static" | grep -q 'statically linked' || missing "$static is not statically linked"
fi

root="$cache/initramfs"
rm -rf "$root"; mkdir -p "$root/dev" "$root/proc" "$root/sys" "$root/tmp"
cp "$static" "$root/init"
# The unit test and the backport command are dynamic: bring the loader and
# the libraries along.
cp "$unit" "$root/test-tier2"
cp "$cli" "$root/backport"
for lib in $(ldd "$unit" "$cli" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
# What /init runs after the matrix: the unit test's kernel cases, then the
# command users run, with the old decision and with the fix (32 MiB of
# private huge pages: 16 pages, twice that with the private copies).
cat >"$root/then" <<'THEN'
/test-tier2
/backport repro --tier=2 --backing=memfd-hugetlb --share=off --sparse --size=32M --policy=old
/backport repro --tier=2 --backing=memfd-hugetlb --share=off --sparse --size=32M --policy=fixed
/backport repro --tier=2 --backing=memfd --share=off --size=32M --policy=old --json
/backport repro --tier=2 --backing=memfd --share=off --size=32M --policy=fixed
/backport repro --tier=2 --backing=memfd-hugetlb --share=on --size=32M --policy=old
THEN
[ "$(id -u)" = 0 ] && mknod "$root/dev/console" c 5 1 2>/dev/null || true
initrd="$cache/tier2.cpio.gz"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$initrd"

# ---- 5. boot ----------------------------------------------------------------
# boot NAME INIT-ARGS...: one VM run; its console in $cache/boot-NAME.log.
boot() {
    name=$1; shift
    blog="$cache/boot-$name.log"
    say "booting ($name) under TCG, timeout $boot_timeout s; console: $blog"
    t0=$(now)
    brc=0
    timeout "$boot_timeout" qemu-system-x86_64 -machine q35,accel=tcg -m 1G -nographic -no-reboot \
        -kernel "$bzimage" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 hugepages=64 -- $*" </dev/null >"$blog" 2>&1 || brc=$?
    boot_wall=$(( $(now) - t0 ))
    tr -d '\r' <"$blog" >"$blog.txt"
    sed -n '/^bp-repro-static: tier 2/,/^bp-repro-static: exit/p' "$blog.txt" | grep -v '^# \(Start\|End\) of'

    [ "$brc" = 0 ] || say "qemu exited $brc"
}

# The verdict run: QEMU's order (map at machine init, then the guest runs),
# then the unit test's kernel cases and `backport repro --tier=2`.
boot matrix --then-file /then
wall_matrix=$boot_wall
verdict=$(sed -n 's/^verdict: //p' "$cache/boot-matrix.log.txt")
unit_failed=$(grep -c '^not ok' "$cache/boot-matrix.log.txt" || true)
unit_ok=$(grep -c '^ok ' "$cache/boot-matrix.log.txt" || true)
run_s=$(sed -n 's/^summary: .*, \([0-9.]*\)s$/\1/p' "$cache/boot-matrix.log.txt")
init_at=$(sed -n 's/^bp-repro-static: tier 2 on Linux [^,]*, \([0-9.]*\) s after boot.*/\1/p' "$cache/boot-matrix.log.txt")

# For comparison: the guest reads all its RAM before the map.
boot read-before-map --read-before-map
wall_rbm=$boot_wall

echo "timings: kernel build $kbuild_time; /init ran ${init_at:-?} s after boot; matrix ${run_s:-?} s in the guest;" \
     "boot+run wall ${wall_matrix} s (verdict run, with the unit test), ${wall_rbm} s (read-before-map run)"
echo "unit test in the VM: $unit_ok ok, $unit_failed not ok"
# backport repro's exit codes: old on private RAM reproduces (1), fixed and
# share=on do not (0).
cli_bad=0
exited() { sed -n "s|^bp-repro-static: then: /backport repro $1 exited \([0-9]*\)\$|\1|p" "$cache/boot-matrix.log.txt"; }
for want in "1 --tier=2 --backing=memfd-hugetlb --share=off --sparse --size=32M --policy=old" \
            "0 --tier=2 --backing=memfd-hugetlb --share=off --sparse --size=32M --policy=fixed" \
            "1 --tier=2 --backing=memfd --share=off --size=32M --policy=old --json" \
            "0 --tier=2 --backing=memfd --share=off --size=32M --policy=fixed" \
            "0 --tier=2 --backing=memfd-hugetlb --share=on --size=32M --policy=old"; do
    got=$(exited "${want#* }")
    if [ "$got" != "${want%% *}" ]; then
        say "backport repro ${want#* } exited ${got:-?}, expected ${want%% *}"
        cli_bad=$((cli_bad + 1))
    fi
done
echo "backport repro in the VM: $((5 - cli_bad))/5 exit codes as expected"
case $verdict in
    "") say "no verdict line in the guest's console; last lines:"; tail -n 25 "$cache/boot-matrix.log.txt" >&2; exit 99 ;;
    "BUG REPRODUCED"*) [ "$unit_failed" = 0 ] && [ "$unit_ok" -gt 0 ] && [ "$cli_bad" = 0 ] || exit 1; exit 0 ;;
    *) exit 1 ;;
esac
