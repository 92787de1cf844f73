#!/bin/sh
# SIGINT and SIGTERM to `backport verify` while a line's check runs the
# tree's configure: verify stops, no process it started survives (configure
# and its children are killed by process group), and no scratch copy is
# left in the cache.  One line (verified in the process) and two lines
# (verified in worker processes).  The trees' configure is a stand-in that
# records its pid and sleeps: the test needs no QEMU build.
. "$(dirname "$0")/libtest.sh"
plan 6

packs="$TEST_TMP/packs"
sh "$FIXTURES/make-verify-pack.sh" "$packs" || plan_skip "cannot build the synthetic pack (git?)"
export BACKPORT_PACKS="$packs"
command -v python3 >/dev/null || plan_skip "the check of a configure tree needs python3"

# make_tree ERA DIR MARK: a verify tree whose configure sleeps, noting pids in MARK
make_tree() {
    sh "$FIXTURES/make-verify-tree.sh" "$1" "$2"
    cat >"$2/configure" <<EOF
#!/bin/sh
case "\$1" in --help) exit 0 ;; esac
echo \$\$ >>"$3/configure.pids"
sleep 300 &
echo \$! >>"$3/sleep.pids"
wait
EOF
    chmod +x "$2/configure"
}

# wait_for FILE LINES: until FILE has LINES lines (60 s at most)
wait_for() {
    _i=0
    while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $_i -lt 600 ]; do sleep 0.1; _i=$((_i + 1)); done
    [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]
}

# all_gone MARK: none of the recorded processes is alive (10 s to die)
all_gone() {
    _i=0
    while [ $_i -lt 100 ]; do
        _alive=0
        for _p in $(cat "$1/configure.pids" "$1/sleep.pids" 2>/dev/null); do
            kill -0 "$_p" 2>/dev/null && _alive=1
        done
        [ $_alive = 0 ] && return 0
        sleep 0.1; _i=$((_i + 1))
    done
    diag "still alive: $(for _p in $(cat "$1"/*.pids); do kill -0 "$_p" 2>/dev/null && ps -o pid=,args= -p "$_p"; done)"
    return 1
}

no_scratch() {   # CACHE: verify's scratch copies are gone
    [ -z "$(ls -A "$1/scratch" 2>/dev/null)" ] || { diag "left in $1/scratch: $(ls "$1/scratch")"; return 1; }
}

# interrupt SIGNAL NAME LINES...: start verify on LINES, wait for every
# configure, send SIGNAL, check the aftermath
interrupt() {
    sig=$1 name=$2; shift 2
    run=$TEST_TMP/run-$sig-$#
    mark=$run/mark cache=$run/cache
    mkdir -p "$mark"
    trees=""
    for l in "$@"; do make_tree "$l" "$run/t-$l" "$mark"; trees="$trees --tree $l=$run/t-$l"; done
    "$BACKPORT" verify "$@" $trees --offline --cache "$cache" --jobs 2 >"$run/out" 2>"$run/err" &
    pid=$!
    if ! wait_for "$mark/configure.pids" $#; then
        kill -KILL $pid 2>/dev/null
        diag "configure never started:"; sed 's/^/#   /' "$run/err" >&2
        not_ok "$name"; return
    fi
    kill -"$sig" $pid
    rc=0; wait $pid || rc=$?
    if [ "$rc" -ge 128 ] && all_gone "$mark" && no_scratch "$cache" && grep -q 'interrupted' "$run/err"; then
        ok "$name"
    else
        diag "exit $rc; stderr:"; sed 's/^/#   /' "$run/err" >&2
        not_ok "$name"
    fi
}

interrupt INT "SIGINT during configure, one line: configure killed, no scratch copy left" 10.1
interrupt TERM "SIGTERM during configure, one line: configure killed, no scratch copy left" 10.1
interrupt INT "SIGINT during configure, two lines in workers: every configure killed, nothing left" 10.1 11.0
interrupt TERM "SIGTERM during configure, two lines in workers: every configure killed, nothing left" 10.1 11.0

# After the interrupt, the same cache verifies normally (nothing stale in the way).
run=$TEST_TMP/after
sh "$FIXTURES/make-verify-tree.sh" 10.1 "$run/t"
bp verify 10.1 --tree 10.1="$run/t" --offline --cache "$TEST_TMP/run-INT-1/cache"
{ [ "$rc" -ne 3 ] && ! assert_stderr 'busy'; } 2>/dev/null \
    && ok "the interrupted cache is usable again" || not_ok "the interrupted cache is usable again"
bp verify 10.1 --tree 10.1="$run/t" --offline --cache "$TEST_TMP/run-INT-1/cache"
check "exit code of a normal run afterwards is the normal one" [ "$rc" -eq 0 ]

finish
