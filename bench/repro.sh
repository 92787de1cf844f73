#!/bin/sh
# bench/repro.sh [SIZE] [RUNS]
#   How fast the reproducer verifies guest RAM, against a plain memcmp of the
#   same buffers (guest RAM against the device's view of it: the physical
#   ceiling of any byte-exact check), printed as a ratio (>1: faster than
#   memcmp, which reads both buffers).  Default: 512M of hugetlbfs guest RAM,
#   share=on (every page equal, so nothing stops early), 5 runs, best and
#   median.  The pool is warmed first (as root: nr_hugepages raised once for
#   all runs, restored at the end), so runs measure verification, not the
#   kernel assembling huge pages.  Fails when 512M takes a second or more.
#   BACKPORT: the binary (default ./backport, which builds on first use).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bp=${BACKPORT:-$here/backport}
size=${1:-512M}
runs=${2:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bp-bench.XXXXXX")
nr_file=/proc/sys/vm/nr_hugepages
nr_saved=""
cleanup() {
    [ -n "$nr_saved" ] && echo "$nr_saved" >"$nr_file"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

backing=hugetlbfs
if [ "$(id -u)" = 0 ] && grep -q '^Hugepagesize:' /proc/meminfo; then
    kb=$(sed -n 's/^Hugepagesize: *\([0-9]*\) kB/\1/p' /proc/meminfo)
    bytes=$("$bp" repro --backing memfd --size "$size" --dirty-every 1000000 --json 2>/dev/null | sed -n 's/^ *"size" : \([0-9]*\),/\1/p')
    need=$(( (bytes + kb * 1024 - 1) / (kb * 1024) + 8 ))
    free=$(awk '/^HugePages_Free:/ {f=$2} /^HugePages_Rsvd:/ {r=$2} END {print f - r}' /proc/meminfo)
    if [ "$free" -lt "$need" ]; then
        nr_saved=$(cat "$nr_file")
        echo $((nr_saved + need - free)) >"$nr_file"
        echo "# warmed the pool: nr_hugepages $nr_saved -> $(cat "$nr_file") (restored at exit)"
    fi
else
    backing=memfd
    echo "# not root or no huge pages: measuring memfd (4 KiB pages) instead of hugetlbfs"
fi

# field NAME FILE
field() { sed -n "s/^ *\"$1\" : \([-0-9.e]*\),\{0,1\}\$/\1/p" "$2" | head -n 1; }

# bench LABEL ARGS...: RUNS runs, prints best and median verify GiB/s, memcmp GiB/s, ratio
bench() {
    label=$1; shift
    : >"$tmp/rows"
    i=0
    while [ $i -lt "$runs" ]; do
        rc=0
        start=$(date +%s.%N)
        "$bp" repro "$@" --size "$size" --bench --json >"$tmp/out" 2>"$tmp/err" || rc=$?
        end=$(date +%s.%N)
        if [ $rc -gt 1 ]; then echo "$label: backport repro failed (exit $rc): $(cat "$tmp/err")" >&2; return 1; fi
        v=$(field verify_seconds "$tmp/out"); m=$(field memcmp_seconds "$tmp/out"); s=$(field size "$tmp/out")
        echo "$v $m $s $(awk -v a="$start" -v b="$end" "BEGIN { print b - a }")" >>"$tmp/rows"
        i=$((i + 1))
    done
    sort -n "$tmp/rows" >"$tmp/sorted"
    awk -v label="$label" -v runs="$runs" '
        { v[NR] = $1; m[NR] = $2; s = $3; w[NR] = $4 }
        END {
            gib = s / 1073741824
            med = int((NR + 1) / 2)
            # memcmp of the same run, and the best memcmp seen
            bm = m[1]; for (i = 2; i <= NR; i++) if (m[i] < bm) bm = m[i]
            printf "%-34s %7.1f MiB  verify best %7.4f s = %6.2f GiB/s, median %7.4f s = %6.2f GiB/s\n", \
                label, s / 1048576, v[1], gib / v[1], v[med], gib / v[med]
            printf "%-34s %12s  memcmp best %7.4f s = %6.2f GiB/s   ratio verify/memcmp %.2f (best vs best)\n", \
                "", "", bm, gib / bm, bm / v[1]
            tw = w[1]; for (i = 2; i <= NR; i++) if (w[i] < tw) tw = w[i]
            printf "%-34s %12s  whole run (setup, guest, device, checks) best %.3f s wall\n", "", "", tw
        }' "$tmp/sorted"
    best=$(head -n 1 "$tmp/sorted" | cut -d' ' -f1)
    echo "$best" >"$tmp/best"
}

echo "# backport repro verification vs memcmp; $runs runs each; $(nproc) CPUs; $(uname -r)"
bench "$backing share=on, by file" --backing "$backing" --share on --policy old || exit 1
best_file=$(cat "$tmp/best")
# By address (process_vm_readv into a bounce buffer), via a 10.0-shaped tree.
sh "$here/tests/fixtures/make-vfio-tree.sh" 10.0 "$tmp/tree" >/dev/null
XDG_CACHE_HOME="$tmp/cache" bench "$backing share=on, by address" --backing "$backing" --share on --tree "$tmp/tree" || exit 1

if [ "$size" = 512M ]; then
    best_file=$(awk -v t="$best_file" "BEGIN { printf \"%.4f\", t }")
    if awk -v t="$best_file" "BEGIN { exit !(t < 1) }"; then
        echo "PASS: 512 MiB of $backing guest RAM verified in $best_file s (< 1 s)"
    else
        echo "FAIL: 512 MiB of $backing guest RAM took $best_file s to verify (>= 1 s)"
        exit 1
    fi
fi
