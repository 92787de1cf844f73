#!/bin/sh
# Reliability under faults and hostile input (issue 15): the matrix across
# commands.  apply, pick --tree, pick --onto --branch, check, verify and
# repro are each stopped at named moments by the pause hook
# (BACKPORT_TEST_PAUSE=NAME[:N], src/base/test-pause.h) or inside a
# stand-in compiler, and interrupted there by SIGINT, SIGTERM and SIGKILL.
# After each interruption: the tree and repository are as before or as
# fully done (files, modes, symlinks, index, refs, reflogs); no process the
# run started is alive (every one carries a marker in its environment);
# nothing is left in TMPDIR, the cache's scratch directory, the mounts or
# the huge page pool.  After a SIGKILL the state is the one the next
# command to look shows (a read-only `status --tree` recovers a journal,
# as test-journal.sh does), and the next run says in one line what it
# recovered.  Then the same command runs again and finishes the job.
# The second half: hostile and broken input that no other test gives these
# commands, each refused in one line naming the input, exit 3, nothing
# written.  Synthetic trees and histories only (tests/fixtures).
# BP_FAULTS_ONLY="apply check hostile ..." runs a part (the commands of
# $cmds, and hostile).  The last lines of its log are the figures.
. "$(dirname "$0")/libtest.sh"
command -v git >/dev/null || plan_skip "git is not installed"
command -v gcc >/dev/null && command -v meson >/dev/null && command -v ninja >/dev/null \
    || plan_skip "check and verify need gcc, meson and ninja"

export XDG_CACHE_HOME="$TEST_TMP/xdg-cache"
export TMPDIR="$TEST_TMP/tmp"
mkdir -p "$TMPDIR"
git_id() { git -c user.name="Bea Backporter" -c user.email=bea@example.org "$@"; }

# ---- process, machine and leftover bookkeeping ---------------------------------
# Each run's processes carry BP_FAULTS_RUN=<mark>: whatever they fork or
# exec, reparented or in another process group, is found by it.
runs=0
marked() {   # MARK: pids of live (not zombie) processes carrying MARK
    for _e in /proc/[0-9]*/environ; do
        _p=${_e#/proc/}; _p=${_p%/environ}
        grep -qa "BP_FAULTS_RUN=$1" "$_e" 2>/dev/null || continue
        _st=$(sed 's/.*) \(.\).*/\1/' "/proc/$_p/stat" 2>/dev/null || echo X)
        case $_st in Z|X) ;; *) echo "$_p" ;; esac
    done
}
# no_survivors MARK: nothing of the run alive (5 s to die); kills what is
no_survivors() {
    _i=0
    while [ $_i -lt 50 ]; do
        _left=$(marked "$1")
        [ -z "$_left" ] && return 0
        sleep 0.1; _i=$((_i + 1))
    done
    for _p in $_left; do diag "survivor: $(ps -o pid=,stat=,args= -p "$_p")"; kill -CONT "$_p"; kill -KILL "$_p"; done 2>/dev/null
    return 1
}
# Every process any run of this test started goes at exit, whatever failed.
cleanup_all() {
    for _p in $(marked "$TEST_TMP"); do kill -KILL "$_p" 2>/dev/null; done
    [ -n "${full_mnt:-}" ] && umount "$full_mnt" 2>/dev/null
    rm -rf "$TEST_TMP"
}
trap cleanup_all EXIT

# The huge page pool and our hugetlbfs mounts while no run uses them (a run
# holds a shared flock on the users file; see test-repro.sh).
users_lock=/run/backport-hugepages.users
[ -w /run ] || users_lock=/tmp/backport-hugepages.users
pool_held=0
pool_state() {
    # while the test holds the users lock itself (hold_pool), an exclusive
    # flock of its own would wait on it for ever
    if [ $pool_held = 0 ] && command -v flock >/dev/null && [ "$(id -u)" = 0 ]; then
        flock -x "$users_lock" sh -c 'echo "nr_hugepages=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0) mounts=$(grep -c bp-hugetlbfs /proc/self/mounts)"'
    else
        echo "nr_hugepages=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0) mounts=$(grep -c bp-hugetlbfs /proc/self/mounts)"
    fi
}
pool_before=$(pool_state)
# While a SIGKILLed run's pool and mount wait for the next run to give them
# back, other tests must not take them for the machine's own: hold the
# users lock shared (what a run does) from the kill to the recovery.
hold_pool() { [ "$(id -u)" = 0 ] && command -v flock >/dev/null && exec 8>>"$users_lock" && flock -s 8 && pool_held=1; return 0; }
release_pool() { [ $pool_held = 1 ] && flock -u 8 && exec 8>&- && pool_held=0; return 0; }

# leftovers CACHE: what a finished run must not leave
leftovers() {
    _l=""
    [ -n "$(ls -A "$TMPDIR")" ] && _l="$_l TMPDIR:$(ls "$TMPDIR" | tr '\n' ' ')"
    [ -n "$(ls -A "$1/backport/scratch" 2>/dev/null)" ] && _l="$_l scratch:$(ls "$1/backport/scratch" | tr '\n' ' ')"
    # only repro and verify touch the huge page pool: for the others a change
    # is another test's run (the suite runs two at a time), not a leftover
    case ${_cmd:-} in
        repro|verify*)
            _pool=$(pool_state)
            [ "$_pool" != "$pool_before" ] && _l="$_l pool:$pool_before->$_pool" ;;
    esac
    echo "$_l"
}
leaks=0
crashed() {  # ERRFILE: a sanitizer report or a crash in it (leaks counted apart too)
    grep -q 'ERROR: LeakSanitizer' "$1" && leaks=$((leaks + 1))
    grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:\|Segmentation fault\|Aborted' "$1"
}

# ---- snapshots -----------------------------------------------------------------
# tree_state DIR: every path with type, mode, link target; every file's hash
# (the repository's objects aside: new ones are harmless)
tree_state() {
    (cd "$1" && find . -path ./.git/objects -prune -o -printf '%y %m %p %l\n' | LC_ALL=C sort \
     && find . -path ./.git/objects -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}
# git_state DIR: what git says of the work tree, the index, HEAD and its
# log, without stat data or commit dates (a run now and one later differ
# only in those)
git_state() {
    (cd "$1" && find . -path ./.git -prune -o -printf '%y %m %p %l\n' | LC_ALL=C sort \
     && find . -path ./.git -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum \
     && ls -A .git && find .git -name '*.lock' && git rev-parse 'HEAD^{tree}' && git symbolic-ref HEAD \
     && git log --format='%an <%ae> %ad%n%B' && git ls-files -s && git status --porcelain=v1 --ignored -uall \
     && git reflog --format=%gs && git for-each-ref --format='%(refname)')
}
# is_state FN DIR FILE: FN DIR prints what FILE holds (whole, through a file:
# cmp on a pipe would stop its writer half way)
is_state() { "$1" "$2" >"$TEST_TMP/state.now" 2>/dev/null; cmp -s "$TEST_TMP/state.now" "$3"; }

# ---- one interruption -----------------------------------------------------------
# start MARK MOMENT CMD...: CMD (backport's arguments) in the background;
# MOMENT is pause:NAME[:N] (the hook) or cc:WORD (the stand-in compiler
# sleeps when it compiles a file named WORD)
start() {
    _mark=$1 _moment=$2; shift 2
    rm -f "$TEST_TMP/cc.sleep" "$TEST_TMP/cc.slept"
    _pause=
    case $_moment in
        pause:*) _pause=${_moment#pause:} ;;
        cc:*) echo "${_moment#cc:}" >"$TEST_TMP/cc.sleep" ;;
    esac
    BACKPORT_TEST_PAUSE=$_pause BP_FAULTS_RUN=$_mark "$BACKPORT" "$@" >"$TEST_TMP/run.out" 2>"$TEST_TMP/run.err" 8>&- &
    pid=$!
}
# reach MOMENT [N]: wait (60 s at most) until the run is stopped at the
# point N times (N processes: verify's workers), or the stand-in sleeps;
# $paused gets the stopped pids
reach() {
    _i=0 paused=""
    while [ $_i -lt 600 ]; do
        case $1 in
            pause:*)
                paused=$(sed -n 's/^backport: test: paused at .* (pid \([0-9]*\))$/\1/p' "$TEST_TMP/run.err")
                _all=1 _n=0
                for _p in $paused; do
                    _n=$((_n + 1))
                    [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$_p/stat" 2>/dev/null)" = T ] || _all=0
                done
                [ "$_n" -ge "${2:-1}" ] && [ $_all = 1 ] && return 0 ;;
            cc:*) [ -s "$TEST_TMP/cc.slept" ] && return 0 ;;
        esac
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1; _i=$((_i + 1))
    done
    diag "the run never reached $1:"; sed 's/^/#   /' "$TEST_TMP/run.err" >&2
    return 1
}
signum() { case $1 in INT) echo 2 ;; TERM) echo 15 ;; KILL) echo 9 ;; esac; }
# hit SIG: send SIG to the command (the main process, as kill or a service
# manager does), let the stopped processes go on, wait; $hrc its exit code
hit() {
    kill -"$1" "$pid" 2>/dev/null
    rm -f "$TEST_TMP/cc.sleep"   # compilers from now on compile
    for _p in $paused; do kill -CONT "$_p" 2>/dev/null; done
    hrc=0; wait "$pid" 2>/dev/null || hrc=$?
}

# Figures for the report: totals, and a line per interruption in
# TEST_TMP/figures (command, signal, state, recovery lines, survivors,
# leftovers, half states, crashes) summed per command and signal at the end.
tried=0 clear=0 crashes=0 halfs=0 survived=0 left=0 recovered=0
cmds="apply pick_tree pick_branch check verify repro"

# interrupt CMD SIG MOMENT [PAUSES]: the whole case for command CMD.  The
# command's functions: fresh_CMD DIR (a new target), args_CMD DIR
# (backport's arguments), state_CMD DIR (before|after|half, and $detail),
# again_CMD DIR (run it again; TRUE when it finished the job),
# recovery_CMD (the one line a recovery says).
interrupt() {
    _cmd=$1 _sig=$2 _moment=$3 _np=${4:-1}
    runs=$((runs + 1))
    _dir="$TEST_TMP/case-$runs"
    _mark="$TEST_TMP/case-$runs/"
    mkdir -p "$_dir"
    export XDG_CACHE_HOME="$_dir/cache"
    export TMPDIR="$_dir/tmp"   # what a case leaves is its own
    mkdir -p "$TMPDIR"
    "fresh_$_cmd" "$_dir"
    tried=$((tried + 1))
    _s0=$survived _l0=$left _h0=$halfs _c0=$crashes
    _name="$_cmd: SIG$_sig at $_moment"
    case $_moment in cc:sanitycheckc.c) _name="$_name (meson, in the check's configure)" ;; esac
    [ "$_sig" = KILL ] && hold_pool
    # shellcheck disable=SC2046
    start "$_mark" "$_moment" $("args_$_cmd" "$_dir")
    if ! reach "$_moment" "$_np"; then
        kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        no_survivors "$_mark"; [ "$_sig" = KILL ] && release_pool
        not_ok "$_name: the moment is reached"; return
    fi
    hit "$_sig"
    _why=""
    [ "$hrc" -eq $((128 + $(signum "$_sig"))) ] || _why="$_why exit $hrc;"
    crashed "$TEST_TMP/run.err" && { crashes=$((crashes + 1)); _why="$_why crashed;"; }
    no_survivors "$_mark" || { survived=$((survived + 1)); _why="$_why a process survived;"; }
    cp "$TEST_TMP/run.err" "$TEST_TMP/interrupted.err"
    : >"$TEST_TMP/recover.err"
    if [ "$_sig" = KILL ]; then
        # What SIGKILL leaves (a journal, staged files, a lock, a scratch
        # copy, the pool) the next command to look recovers; the state is
        # the one it shows.  What the next run says is counted with it.
        _before_again=$(leftovers "$XDG_CACHE_HOME")
        "recover_$_cmd" "$_dir"
        cp "$TEST_TMP/err" "$TEST_TMP/recover.err"
    else
        _l=$(leftovers "$XDG_CACHE_HOME"); [ -z "$_l" ] || { left=$((left + 1)); _why="$_why left$_l;"; }
    fi
    _state=$("state_$_cmd" "$_dir")
    [ "$_state" = half ] && { halfs=$((halfs + 1)); _why="$_why half done;"; }
    # the next run finishes the job
    "again_$_cmd" "$_dir" || _why="$_why the next run failed (exit $rc);"
    crashed "$TEST_TMP/err" && { crashes=$((crashes + 1)); _why="$_why the next run crashed;"; }
    _recov=$(cat "$TEST_TMP/recover.err" "$TEST_TMP/err" | grep -c "$("recovery_$_cmd")")
    if [ "$_sig" = KILL ]; then
        [ "$_recov" -le 1 ] || _why="$_why $_recov recovery lines;"
        [ "$_recov" -eq 1 ] && recovered=$((recovered + 1))
        release_pool
        _l=$(leftovers "$XDG_CACHE_HOME")
        if [ -n "$_l" ]; then
            left=$((left + 1)); _why="$_why left after the next run$_l;"
        fi
        [ "$_recov" -eq 1 ] || [ -z "$_before_again" ] || [ "$_before_again" = "$_l" ] \
            || _why="$_why recovered$_before_again without saying so;"
    else
        [ "$_recov" -eq 0 ] || _why="$_why a recovery after SIG$_sig;"
    fi
    no_survivors "$_mark" || { survived=$((survived + 1)); _why="$_why the next run left a process;"; }
    case $_state in before|unchanged) _st=before ;; half) _st=half ;; *) _st=after ;; esac
    echo "${_cmd%2} $_sig $_st $_recov $((survived - _s0)) $((left - _l0)) $((halfs - _h0)) $((crashes - _c0))" >>"$TEST_TMP/figures"
    if [ -z "$_why" ]; then
        ok "$_name: $_state, nothing left${_recov:+, recovery lines $_recov}"
    else
        diag "$_name:$_why"
        diag "interrupted run's stderr:"; sed 's/^/#   /' "$TEST_TMP/interrupted.err" >&2
        [ -s "$TEST_TMP/recover.err" ] && { diag "recovering run's stderr:"; sed 's/^/#   /' "$TEST_TMP/recover.err" >&2; }
        diag "next run's stderr:"; sed 's/^/#   /' "$TEST_TMP/err" >&2
        not_ok "$_name: before or after, nothing left, at most one recovery line"
    fi
    rm -rf "$_dir"
}
# matrix CMD MOMENT...: every moment with every signal
matrix() {
    _c=$1; shift
    for _m in "$@"; do for _s in INT TERM KILL; do interrupt "$_c" "$_s" "$_m"; done; done
}

# ---- fixtures --------------------------------------------------------------------
# A stand-in compiler: gcc, but when TEST_TMP/cc.sleep names a word of its
# arguments it starts a child and sleeps (each recorded).
cat >"$TEST_TMP/cc" <<EOF
#!/bin/sh
if [ -f "$TEST_TMP/cc.sleep" ]; then
    want=\$(cat "$TEST_TMP/cc.sleep")
    for a in "\$@"; do
        case \$a in *"\$want"*) sleep 300 & echo \$! >>"$TEST_TMP/cc.slept"; wait; exit 1 ;; esac
    done
fi
exec gcc "\$@"
EOF
chmod +x "$TEST_TMP/cc"
export CC="$TEST_TMP/cc"

# The wide series (400 files, four patches: new directories, deletions,
# modes, a symlink) into a git work tree: files, index, HEAD, reflogs.
wide="$TEST_TMP/wide"
sh "$FIXTURES/gen-wide-series.sh" "$wide" 400 >"$TEST_TMP/gen" 2>&1 \
    || { sed 's/^/# /' "$TEST_TMP/gen"; plan_skip "cannot generate the wide series"; }
cp -a "$wide/base" "$TEST_TMP/apply-base"
(cd "$TEST_TMP/apply-base" && git init -q -b main . && git add -A && git_id commit -qm base \
  && git config user.name "Bea Backporter" && git config user.email bea@example.org)
tree_state "$TEST_TMP/apply-base" >"$TEST_TMP/apply.before"
cp -a "$TEST_TMP/apply-base" "$TEST_TMP/apply-ref"
BACKPORT_PACKS="$wide/packs" bp apply 10.2 --tree "$TEST_TMP/apply-ref"
[ "$rc" -eq 0 ] || { sed 's/^/# /' "$TEST_TMP/err"; plan_skip "the wide series does not apply to its tree"; }
git_state "$TEST_TMP/apply-ref" >"$TEST_TMP/apply.after"
rm -rf "$TEST_TMP/apply-ref"

# The pick history: a queue of two fixes onto stable-1.0.
R="$TEST_TMP/pick-repo"
sh "$FIXTURES/gen-pick-history.sh" "$R" >/dev/null 2>&1 || plan_skip "cannot generate the pick history"
pick_id() { sed -n "s/^$1=//p" "$R/.git/pick-ids"; }
p1=$(pick_id fix_needed) p2=$(pick_id context_fix)
W="$TEST_TMP/pick-work"
git clone -q -b stable-1.0 "$R" "$W"
git -C "$W" config user.name "Stable Maintainer" && git -C "$W" config user.email stable@example.org
tree_state "$W" >"$TEST_TMP/pick_tree.before"
for n in 1 2; do
    cp -a "$W" "$TEST_TMP/pick-ref"
    [ $n = 1 ] && bp pick --repo "$R" --tree "$TEST_TMP/pick-ref" "$p1"
    [ $n = 2 ] && bp pick --repo "$R" --tree "$TEST_TMP/pick-ref" "$p1" "$p2"
    [ "$rc" -eq 0 ] || { sed 's/^/# /' "$TEST_TMP/err"; plan_skip "the picks do not apply to stable-1.0"; }
    git_state "$TEST_TMP/pick-ref" >"$TEST_TMP/pick_tree.after$n"
    rm -rf "$TEST_TMP/pick-ref"
done
branch_state() { tree_state "$1" | grep -v 'refs/heads/picked'; }
branch_state "$R" >"$TEST_TMP/pick_branch.before"
cp -a "$R" "$TEST_TMP/pick-ref"
bp pick --repo "$TEST_TMP/pick-ref" --onto stable-1.0 --branch picked "$p1" "$p2"
picked_tree=$(git -C "$TEST_TMP/pick-ref" rev-parse 'picked^{tree}')
rm -rf "$TEST_TMP/pick-ref"

# The synthetic QEMU tree and pack of the verify tests: check, verify and
# repro read it and must never write it.
vpacks="$TEST_TMP/vpacks"
sh "$FIXTURES/make-verify-pack.sh" "$vpacks" >/dev/null 2>&1 || plan_skip "cannot build the synthetic pack"
T="$TEST_TMP/vtree"
sh "$FIXTURES/make-verify-tree.sh" 10.2 "$T"
T11="$TEST_TMP/vtree-11"
sh "$FIXTURES/make-verify-tree.sh" 11.0 "$T11"
tree_state "$T" >"$TEST_TMP/vtree.before"
tree_state "$T11" >"$TEST_TMP/vtree-11.before"

# ---- the commands ------------------------------------------------------------------
fresh_apply() { export BACKPORT_PACKS="$wide/packs"; cp -a "$TEST_TMP/apply-base" "$1/t"; }
args_apply() { echo apply 10.2 --tree "$1/t"; }
state_apply() {
    if is_state tree_state "$1/t" "$TEST_TMP/apply.before"; then echo before
    elif is_state git_state "$1/t" "$TEST_TMP/apply.after"; then echo after
    else git_state "$1/t" | diff "$TEST_TMP/apply.after" - | head -n 10 | sed 's/^/#   /' >&2; echo half; fi
}
again_apply() { bp apply 10.2 --tree "$1/t"; [ "$rc" -eq 0 ] && [ "$(state_apply "$1")" = after ]; }
recovery_apply() { echo 'an interrupted write'; }
# a read-only command recovers the tree first (as test-journal.sh)
recover_apply() { bp status --tree "$1/t"; }

fresh_pick_tree() { cp -a "$W" "$1/t"; }
args_pick_tree() { echo pick --repo "$R" --tree "$1/t" "$p1" "$p2"; }
state_pick_tree() {
    if is_state tree_state "$1/t" "$TEST_TMP/pick_tree.before"; then echo before
    elif is_state git_state "$1/t" "$TEST_TMP/pick_tree.after1"; then echo "after the first pick"
    elif is_state git_state "$1/t" "$TEST_TMP/pick_tree.after2"; then echo after
    else git_state "$1/t" | diff "$TEST_TMP/pick_tree.after2" - | head -n 10 | sed 's/^/#   /' >&2; echo half; fi
}
again_pick_tree() { bp pick --repo "$R" --tree "$1/t" "$p1" "$p2"; [ "$rc" -eq 0 ] && [ "$(state_pick_tree "$1")" = after ]; }
recovery_pick_tree() { recovery_apply; }
recover_pick_tree() { recover_apply "$1"; }

fresh_pick_branch() { cp -a "$R" "$1/r"; }
args_pick_branch() { echo pick --repo "$1/r" --onto stable-1.0 --branch picked "$p1" "$p2"; }
state_pick_branch() {
    if ! is_state branch_state "$1/r" "$TEST_TMP/pick_branch.before"; then
        branch_state "$1/r" | diff "$TEST_TMP/pick_branch.before" - | head -n 10 | sed 's/^/#   /' >&2; echo half
    elif ! git -C "$1/r" rev-parse -q --verify refs/heads/picked >/dev/null; then echo before
    elif [ "$(git -C "$1/r" rev-parse 'picked^{tree}')" = "$picked_tree" ] \
         && [ "$(git -C "$1/r" rev-list --count stable-1.0..picked)" = 2 ]; then echo after
    else echo half; fi
}
again_pick_branch() {
    bp pick --repo "$1/r" --onto stable-1.0 --branch picked --force "$p1" "$p2"
    [ "$rc" -eq 0 ] && [ "$(state_pick_branch "$1")" = after ]
}
recovery_pick_branch() { echo 'interrupted\|recovered\|stale'; }
recover_pick_branch() { : >"$TEST_TMP/err"; }

# check, verify, repro: the tree is read only
same_tree() {
    if is_state tree_state "$1" "$2"; then echo unchanged
    else tree_state "$1" | diff "$2" - | head -n 10 | sed 's/^/#   /' >&2; echo half; fi
}
fresh_check() { export BACKPORT_PACKS="$vpacks"; }
args_check() { echo check 10.2 --tree "$T"; }
state_check() { same_tree "$T" "$TEST_TMP/vtree.before"; }
again_check() {
    bp check 10.2 --tree "$T"
    # the work directory's copy is the tree's again (the series undone)
    [ "$rc" -eq 0 ] && assert_stdout 'the series compiles' \
        && cmp -s "$T/hw/vfio/container.c" "$(echo "$XDG_CACHE_HOME"/backport/build/*/src/hw/vfio/container.c)"
}
recovery_check() { echo 'interrupted\|recovered'; }
recover_check() { : >"$TEST_TMP/err"; }

fresh_verify() { export BACKPORT_PACKS="$vpacks"; }
args_verify() { echo verify 10.2 --tree 10.2="$T" --offline; }
state_verify() { same_tree "$T" "$TEST_TMP/vtree.before"; }
again_verify() { bp verify 10.2 --tree 10.2="$T" --offline; [ "$rc" -eq 0 ]; }
recovery_verify() { echo '^verify: removed [0-9]* scratch director'; }
recover_verify() { : >"$TEST_TMP/err"; }
# two lines, each in a worker process
fresh_verify2() { fresh_verify; }
args_verify2() { echo verify 10.2 11.0 --tree 10.2="$T" --tree 11.0="$T11" --offline --jobs 2; }
state_verify2() {
    _a=$(same_tree "$T" "$TEST_TMP/vtree.before") _b=$(same_tree "$T11" "$TEST_TMP/vtree-11.before")
    [ "$_a$_b" = unchangedunchanged ] && echo unchanged || echo half
}
again_verify2() { bp verify 10.2 11.0 --tree 10.2="$T" --tree 11.0="$T11" --offline --jobs 2; [ "$rc" -eq 0 ]; }
recovery_verify2() { recovery_verify; }
recover_verify2() { : >"$TEST_TMP/err"; }

fresh_repro() { export BACKPORT_PACKS="$vpacks"; }
args_repro() { echo repro --tree "$T" --size 16M; }
state_repro() { same_tree "$T" "$TEST_TMP/vtree.before"; }
again_repro() { bp repro --tree "$T" --size 16M; [ "$rc" -eq 1 ] && assert_stdout 'reproduced\|REPRODUCED\|stale'; }
recovery_repro() { echo '^backport repro: recovered what'; }
recover_repro() { : >"$TEST_TMP/err"; }

# ---- the matrix ---------------------------------------------------------------------
m_apply="pause:apply-computed pause:tx-staged pause:tx-journal pause:tx-rename:200 pause:tx-renamed pause:tx-checkpoint pause:tx-done"
m_pick_tree="pause:pick-placed:1 pause:tx-journal:1 pause:tx-checkpoint:1 pause:pick-written:1 pause:pick-placed:2 pause:tx-renamed:2"
m_pick_branch="pause:pick-placed:1 pause:pick-written:1 pause:pick-placed:2 pause:pick-written:2 pause:pick-ref"
m_check="pause:check-locked pause:check-synced cc:sanitycheckc.c pause:check-configured cc:container.c pause:check-before pause:check-applied pause:check-compiled"
m_verify="pause:tx-staged pause:check-synced cc:sanitycheckc.c cc:container.c pause:check-applied pause:repro-harness pause:repro-ram"
m_repro="pause:repro-harness cc:harness.c pause:repro-ram pause:repro-device pause:repro-dirtied pause:repro-written"
only=${BP_FAULTS_ONLY:-$cmds hostile}
n_cases=0
for c in $only; do
    [ "$c" = hostile ] && { n_cases=$((n_cases + 33)); continue; }
    eval "set -- \$m_$c"; n_cases=$((n_cases + 3 * $#)); [ "$c" = verify ] && n_cases=$((n_cases + 3))
done
plan $((n_cases + 1))
for c in $only; do
    [ "$c" = hostile ] && continue
    eval "matrix $c \$m_$c"
    if [ "$c" = verify ]; then for s in INT TERM KILL; do interrupt verify2 "$s" pause:check-before 2; done; fi
done
export TMPDIR="$TEST_TMP/tmp"
export XDG_CACHE_HOME="$TEST_TMP/xdg-cache"

# ---- hostile and broken input ---------------------------------------------------
# What no other test gives these commands.  Covered elsewhere, not here:
#   '..' and absolute paths in the apply engine: unit/test-apply.c; in a
#     mail to pick --tree: test-pick.sh; a symlink the patch creates out of
#     the tree: test-apply.sh; a tree file that is a symlink out: test-status-tree.sh
#   CRLF mail to import (git apply --check on the output): test-import.sh
#   non-UTF-8 bytes kept by import and apply: test-import.sh
#   /dev/zero and a 17 MiB input to import: test-import.sh
#   hunk counts too small (import recounts, apply refuses): test-import.sh
#   a directory as a pack's patch: test-list.sh
#   a full disk under apply (plain, --quilt, git): test-apply.sh
#   a shallow clone for status and bisect, a missing object for status:
#     test-status.sh, test-bisect.sh
#   a read-only repository: test-status-cache.sh, test-bisect.sh,
#     test-verify.sh (--repo); verify --offline on a read-only cache of
#     Debian trees: test-verify.sh
#   SIGINT/SIGTERM while configure runs (a stand-in configure): test-verify-interrupt.sh  Each is refused with exit 3 and one line on stderr
# that names the input, and writes nothing: the directory it could write is
# byte for byte as before (tree_state), the outputs asked for do not exist.
hostile_tried=0
# refused NAME DIR ERROR BP-ARGS...: see above; ERROR is a grep pattern
refused() {
    _name=$1 _dir=$2 _err=$3; shift 3
    tree_state "$_dir" >"$TEST_TMP/h.before" 2>&1
    bp "$@"
    judge "$_name" "$_dir" "$_err"
}
# judge NAME DIR ERROR: the verdict on the run bp (or bp_ro) just made
judge() {
    hostile_tried=$((hostile_tried + 1)); tried=$((tried + 1))
    tree_state "$2" >"$TEST_TMP/h.after" 2>&1
    crashed "$TEST_TMP/err" && crashes=$((crashes + 1))
    if assert_rc 3 && assert_one_line_error "$3" && cmp -s "$TEST_TMP/h.before" "$TEST_TMP/h.after"; then
        clear=$((clear + 1)); ok "$1: exit 3, one line naming it, nothing written"
    else
        diff "$TEST_TMP/h.before" "$TEST_TMP/h.after" | head -n 10 | sed 's/^/#   /' >&2
        not_ok "$1: exit 3, one line naming it, nothing written"
    fi
}
# accepted NAME: a case that must work (not refused) counts as tried and passes or fails
accepted() { hostile_tried=$((hostile_tried + 1)); tried=$((tried + 1)); crashed "$TEST_TMP/err" && crashes=$((crashes + 1)); }

# ro_how: how this test can make a directory read-only here, or why not.
# Modes stop a user; root (whom modes do not stop) needs a read-only bind
# mount in a private mount namespace.
ro_how=
if [ "$(id -u)" -ne 0 ]; then ro_how=chmod
elif command -v unshare >/dev/null \
     && unshare --mount --propagation private sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && ! touch "$1/x"' \
        sh "$TEST_TMP/tmp" 2>/dev/null; then ro_how=mount
fi
ro_why="root, and no private mount namespace for a read-only bind mount (unshare --mount)"
# bp_ro DIR BP-ARGS...: bp with DIR read-only (the environment as exported)
bp_ro() {
    _ro=$1; shift
    rc=0
    if [ "$ro_how" = chmod ]; then
        chmod -R a-w "$_ro"
        "$BACKPORT" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
        chmod -R u+w "$_ro"
    else
        unshare --mount --propagation private sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"' \
            sh "$_ro" "$BACKPORT" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
    fi
}
# with_cache DIR: XDG_CACHE_HOME for the next runs (functions take no
# assignments before them in every sh)
with_cache() { export XDG_CACHE_HOME="$1"; }

hmail() {   # PATH [damaged]: a format-patch mail changing PATH ("int b;" -> "int B;")
    _sp=' '; [ "${2:-}" = damaged ] && _sp=
    printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Ann Author <ann@example.org>\nDate: Wed, 27 May 2026 10:11:00 +0000\nSubject: [PATCH] b: capital\n\nSigned-off-by: Ann Author <ann@example.org>\n---\ndiff --git a/%s b/%s\n--- a/%s\n+++ b/%s\n@@ -1,3 +1,3 @@\n%sint a;\n-int b;\n+int B;\n%sint c;\n' \
        "$1" "$1" "$1" "$1" "$_sp" "$_sp"
}
hpack() {   # FILE: the pack $H/pk whose line 10.2 is the patch FILE
    rm -rf "$H/pk"
    mkdir -p "$H/pk/vfio-map-file-private/10.2"
    sed -n '/^\[line /q;p' "$BP_SOURCE_DIR/patches/vfio-map-file-private/fix.ini" >"$H/pk/vfio-map-file-private/fix.ini"
    printf '[line 10.2]\nverdict=affected\nfile=hw/vfio/container.c\napi=10.2\nbase=synthetic\n' >>"$H/pk/vfio-map-file-private/fix.ini"
    cp "$1" "$H/pk/vfio-map-file-private/10.2/0001-b-capital.patch"
    echo 0001-b-capital.patch >"$H/pk/vfio-map-file-private/10.2/series"
}
htree() {   # DIR: the three-line tree the mails are for
    mkdir -p "$1/hw/vfio" && printf 'int a;\nint b;\nint c;\n' >"$1/hw/vfio/container.c" && echo 10.2.2 >"$1/VERSION"
}

if echo " $only " | grep -q ' hostile '; then
H="$TEST_TMP/hostile"
mkdir -p "$H/in" "$H/out" "$H/outside"
htree "$H/t"
printf 'int a;\nint b;\nint c;\n' >"$H/outside/victim.c"
ln -s ../../outside "$H/t/hw/esc"
export BACKPORT_PACKS="$H/pk"

# paths: '..', absolute, through a symlink out of the tree -- in a pack's
# patch (apply) and in a mail repaired against a tree (import --tree)
hmail ../x.c >"$H/in/dotdot.patch"
hmail "$H/outside/victim.c" >"$H/in/absolute.patch"
hmail hw/esc/victim.c >"$H/in/symlink.patch"
hmail hw/esc/victim.c damaged >"$H/in/symlink-damaged.patch"
hpack "$H/in/dotdot.patch"
refused "apply: a patch path with '..'" "$H" "0001-b-capital.patch:8: refusing path '\.\./x\.c'" apply 10.2 --tree "$H/t"
hpack "$H/in/absolute.patch"
refused "apply: an absolute patch path" "$H" "0001-b-capital.patch:8: refusing path '/.*/victim\.c': absolute" apply 10.2 --tree "$H/t"
hpack "$H/in/symlink.patch"
refused "apply: a path through a symlink out of the tree" "$H" "refusing to write 'hw/esc/victim\.c': 'esc' is a symlink leading out of the tree" \
    apply 10.2 --tree "$H/t"
refused "import --tree: a path with '..'" "$H" "dotdot\.patch:8: refusing path '\.\./x\.c'" import "$H/in/dotdot.patch" --tree "$H/t" -o "$H/out/x.patch"
refused "import --tree: an absolute path" "$H" "absolute\.patch:8: refusing path '/.*/victim\.c': absolute" \
    import "$H/in/absolute.patch" --tree "$H/t" -o "$H/out/x.patch"
refused "import --tree: a damaged mail whose path goes through a symlink out of the tree" "$H" "hw/esc/victim\.c leads out of" \
    import "$H/in/symlink-damaged.patch" --tree "$H/t" -o "$H/out/x.patch"
refused "pick --tree: a path through a symlink out of the tree" "$H" "refusing to read hw/esc/victim\.c: its directory leads out of the tree through a symlink" \
    pick --tree "$H/t" "$H/in/symlink.patch"

# binary junk, text junk that is not UTF-8, a 50 MB mail
head -c 65536 /dev/urandom >"$H/in/junk.bin"; printf '\000' >>"$H/in/junk.bin"
head -c 65536 /dev/urandom | tr -d '\000' | tr '\n' '\377' >"$H/in/junk.latin1"
refused "import: binary junk" "$H" "junk\.bin: contains NUL bytes" import "$H/in/junk.bin" -o "$H/out/x.patch"
refused "import: text that is not UTF-8 and no patch" "$H" "junk\.latin1: no diff found" import "$H/in/junk.latin1" -o "$H/out/x.patch"
refused "pick --tree: binary junk" "$H" "junk\.bin: contains NUL bytes" pick --tree "$H/t" "$H/in/junk.bin"
{ hmail hw/vfio/container.c | sed '/^---$/q'; yes 'A body line of a mail that goes on for fifty megabytes.' | head -c 52428800; echo
  hmail hw/vfio/container.c | sed '1,/^---$/d'; } >"$TEST_TMP/big.mail"
refused "import: a 50 MB mail" "$H" "big\.mail: over the 16 MiB limit" import "$TEST_TMP/big.mail" -o "$H/out/x.patch"
refused "pick --tree: a 50 MB mail" "$H" "big\.mail: .*16 MiB" pick --tree "$H/t" "$TEST_TMP/big.mail"
rm -f "$TEST_TMP/big.mail"

# CRLF: normalised as git mailinfo does, for apply and pick too (import:
# test-import.sh); the result has no CR and is the LF result
hmail hw/vfio/container.c | sed 's/$/\r/' >"$H/in/crlf.patch"
cp -a "$H/t" "$H/t-crlf" && rm "$H/t-crlf/hw/esc"
hpack "$H/in/crlf.patch"
bp apply 10.2 --tree "$H/t-crlf" --files
accepted
{ assert_rc 0 && [ "$(cat "$H/t-crlf/hw/vfio/container.c")" = "$(printf 'int a;\nint B;\nint c;')" ]; } \
    && ok "apply: a CRLF patch applies as its LF text, no CR written" || not_ok "apply: a CRLF patch applies as its LF text, no CR written"
htree "$H/t-crlf"
bp pick --tree "$H/t-crlf" "$H/in/crlf.patch"
accepted
{ assert_rc 0 && [ "$(cat "$H/t-crlf/hw/vfio/container.c")" = "$(printf 'int a;\nint B;\nint c;')" ]; } \
    && ok "pick --tree: a CRLF mail applies as its LF text, no CR written" || not_ok "pick --tree: a CRLF mail applies as its LF text, no CR written"
rm -rf "$H/t-crlf"

# truncated hunks and counts too large (too small: test-import.sh)
hmail hw/vfio/container.c | sed '$d' | sed '$d' >"$H/in/truncated.patch"
hmail hw/vfio/container.c | sed 's/^@@ -1,3 +1,3 @@/@@ -1,9 +1,9 @@/' >"$H/in/large.patch"
{ hmail hw/vfio/container.c; printf '@@ -5,2'; } >"$H/in/cut-header.patch"
hpack "$H/in/truncated.patch"
refused "apply: a truncated hunk" "$H" "0001-b-capital.patch:[0-9]*: hunk ends early: 1 old and 2 new lines missing" apply 10.2 --tree "$H/t"
hpack "$H/in/large.patch"
refused "apply: hunk counts larger than the hunk" "$H" "hunk ends early: 6 old and 6 new lines missing" apply 10.2 --tree "$H/t"
hpack "$H/in/cut-header.patch"
refused "apply: a hunk header cut short" "$H" "0001-b-capital.patch:[0-9]*: malformed hunk header" apply 10.2 --tree "$H/t"
refused "import: a truncated hunk" "$H" "truncated\.patch: .*give --tree" import "$H/in/truncated.patch" -o "$H/out/x.patch"
refused "pick --tree: a truncated hunk" "$H" "truncated\.patch: .*backport import" pick --tree "$H/t" "$H/in/truncated.patch"

# a directory given as a file (a pack's patch that is a directory: test-list.sh)
mkdir -p "$H/in/a-dir.patch"
refused "import: a directory as the mail" "$H" "a-dir\.patch is a directory" import "$H/in/a-dir.patch" -o "$H/out/x.patch"
refused "pick: a directory as the mail" "$H" "a-dir\.patch is not a regular file" pick --tree "$H/t" "$H/in/a-dir.patch"

# a read-only tree: plain and git, apply and pick
hmail hw/vfio/container.c >"$H/in/good.patch"
hpack "$H/in/good.patch"
htree "$H/ro"
if [ -n "$ro_how" ]; then
    tree_state "$H" >"$TEST_TMP/h.before"
    bp_ro "$H/ro" apply 10.2 --tree "$H/ro" --files
    judge "apply: a read-only tree" "$H" "line 10\.2: cannot create .*/ro/\.backport-journal: \(Read-only file system\|Permission denied\); .*/ro unchanged"
    (cd "$H/ro" && git init -q -b main . && git_id add -A && git_id commit -qm base)
    tree_state "$H" >"$TEST_TMP/h.before"
    bp_ro "$H/ro" apply 10.2 --tree "$H/ro"
    judge "apply: a read-only git tree" "$H" "line 10\.2: .*/ro/\.git/.*: \(Read-only file system\|Permission denied\); .*/ro unchanged"
    tree_state "$H" >"$TEST_TMP/h.before"
    bp_ro "$H/ro" pick --tree "$H/ro" "$H/in/good.patch"
    judge "pick --tree: a read-only git tree" "$H" "/ro/\.git/.*: \(Read-only file system\|Permission denied\)"
else
    skip "$ro_why"; skip "$ro_why"; skip "$ro_why"
fi
rm -rf "$H/ro"

# a full disk: a 64 KiB tmpfs, filled (apply on a full disk: test-apply.sh)
if [ "$(id -u)" -eq 0 ] && full_mnt="$H/full" && mkdir -p "$full_mnt" \
   && mount -t tmpfs -o size=64k,mode=0755 bp-faults "$full_mnt" 2>/dev/null; then
    htree "$full_mnt/t"
    dd if=/dev/zero of="$full_mnt/fill" bs=1k count=64 2>/dev/null
    refused "import -o on a full disk" "$H" "cannot write .*/full/x\.patch: .*No space left on device" \
        import "$H/in/good.patch" -o "$full_mnt/x.patch"
    refused "pick --tree on a full disk" "$H" "No space left on device" pick --tree "$full_mnt/t" "$H/in/good.patch"
    umount "$full_mnt" && full_mnt=
else
    skip "a full disk needs root to mount a small tmpfs"; skip "a full disk needs root to mount a small tmpfs"
fi

# a shallow clone, a corrupt repository (one object file removed) for pick
# and bisect (status: test-status.sh; bisect of a shallow clone: test-bisect.sh)
git clone -q --depth 16 -b master --single-branch "file://$R" "$H/shallow" 2>/dev/null
git -C "$H/shallow" fetch -q --depth 2 origin stable-1.0:stable-1.0 2>/dev/null
refused "pick --repo: a shallow clone" "$H" "shallow is a shallow clone: .*fetch --unshallow" \
    pick --repo "$H/shallow" --onto stable-1.0 --branch picked "$p1"
git clone -q --no-local "$R" "$H/corrupt" 2>/dev/null
mkdir -p "$TEST_TMP/packs-moved" && mv "$H"/corrupt/.git/objects/pack/* "$TEST_TMP/packs-moved/"
git -C "$H/corrupt" unpack-objects -q <"$(ls "$TEST_TMP"/packs-moved/*.pack)"
rm -rf "$TEST_TMP/packs-moved"
victim=$(git -C "$R" rev-parse stable-1.0~2)
rm -f "$H/corrupt/.git/objects/$(echo "$victim" | cut -c1-2)/$(echo "$victim" | cut -c3-)"
# libgit2 leaks on its walks' error paths: under LeakSanitizer this case
# unwinds stacks in full, so that tests/lsan.supp can name those functions
asan_was=${ASAN_OPTIONS-}
[ -n "$asan_was" ] && export ASAN_OPTIONS="$asan_was:fast_unwind_on_malloc=0"
refused "pick --onto: a repository missing a commit of the target" "$H" \
    "corrupt: the target's history cannot be read: .*$victim.*(the repository is incomplete" \
    pick --repo "$H/corrupt" --onto origin/stable-1.0 --branch picked "$p1"
[ -n "$asan_was" ] && export ASAN_OPTIONS="$asan_was"
refused "bisect: a repository missing a commit" "$H" "corrupt: commit $victim is missing (the repository is incomplete" \
    bisect --repo "$H/corrupt" --good v1.0.0 --bad origin/stable-1.0 --predicate content --path a.c --pattern alpha
rm -rf "$H/shallow" "$H/corrupt"

# a read-only cache: status and verify --offline only read it
# (verify --offline --repo on a read-only cache of Debian trees: test-verify.sh)
if [ -n "$ro_how" ]; then
    sh "$FIXTURES/gen-history.sh" "$H/q" >/dev/null 2>&1
    with_cache "$H/cache-rw"
    bp status --repo "$H/q"
    # the answer, less the seconds it took
    no_time() { sed 's/, [0-9.]* s$//' "$1"; }
    want_rc=$rc; no_time "$TEST_TMP/out" >"$TEST_TMP/status.rw"
    mkdir -p "$H/cache-ro"
    tree_state "$H/cache-ro" >"$TEST_TMP/h.before"
    with_cache "$H/cache-ro"
    bp_ro "$H/cache-ro" status --repo "$H/q"
    accepted
    no_time "$TEST_TMP/out" >"$TEST_TMP/status.ro"
    { [ "$rc" -eq "$want_rc" ] && cmp -s "$TEST_TMP/status.ro" "$TEST_TMP/status.rw" && tree_state "$H/cache-ro" | cmp -s - "$TEST_TMP/h.before"; } \
        && ok "status on a read-only cache: the same answer, the cache untouched" \
        || { diag "exit $rc ($want_rc with a writable cache)"; diff "$TEST_TMP/status.rw" "$TEST_TMP/status.ro" | head -n 5 | sed 's/^/#   /' >&2
             sed 's/^/#   /' "$TEST_TMP/err" >&2; not_ok "status on a read-only cache: the same answer, the cache untouched"; }
    export BACKPORT_PACKS="$vpacks"
    mkdir -p "$H/tmp" && export TMPDIR="$H/tmp"
    bp_ro "$H/cache-ro" verify 10.2 --tree 10.2="$T" --offline
    export TMPDIR="$TEST_TMP/tmp"
    accepted
    { assert_rc 0 && assert_stdout '^10\.2 .*applies (exact).*compiles before and after.*bug -> clean' \
      && tree_state "$H/cache-ro" | cmp -s - "$TEST_TMP/h.before" && [ -z "$(ls -A "$H/tmp" 2>/dev/null)" ]; } \
        && ok "verify --offline on a read-only cache: the whole row, the cache untouched, TMPDIR clean" \
        || not_ok "verify --offline on a read-only cache: the whole row, the cache untouched, TMPDIR clean"
    rm -rf "$H/q" "$H/cache-rw" "$H/cache-ro" "$H/tmp"
    with_cache "$TEST_TMP/xdg-cache"
else
    skip "$ro_why"; skip "$ro_why"
fi

# two verify runs on one cache at once: both finish, one waits for the other's
# check, and the cache serves a third run (the REPRO cell's backing may differ:
# they share the huge page pool)
export BACKPORT_PACKS="$vpacks"
two="$H/two-cache"
for n in 1 2; do
    XDG_CACHE_HOME="$two" "$BACKPORT" verify 10.2 --tree 10.2="$T" --offline >"$TEST_TMP/two$n.out" 2>"$TEST_TMP/two$n.err" &
    eval "two_pid$n=\$!"
done
two_rc1=0 two_rc2=0
wait "$two_pid1" || two_rc1=$?
wait "$two_pid2" || two_rc2=$?
cat "$TEST_TMP/two1.err" "$TEST_TMP/two2.err" >"$TEST_TMP/err"
accepted
norm_backing() { sed 's/(tier \([12]\), [a-z0-9-]*)/(tier \1)/; s/  */ /g' "$1"; }
{ [ "$two_rc1" -eq 0 ] && [ "$two_rc2" -eq 0 ] && grep -q '^10\.2 .*compiles before and after.*bug -> clean' "$TEST_TMP/two1.out" \
  && [ "$(norm_backing "$TEST_TMP/two1.out")" = "$(norm_backing "$TEST_TMP/two2.out")" ]; } \
    && ok "two verify runs on one cache at once: both finish with the same matrix" \
    || { diag "exits $two_rc1 $two_rc2"; sed 's/^/#   /' "$TEST_TMP/two1.out" "$TEST_TMP/two2.out" "$TEST_TMP/err" >&2
         not_ok "two verify runs on one cache at once: both finish with the same matrix"; }
with_cache "$two"
bp verify 10.2 --tree 10.2="$T" --offline
with_cache "$TEST_TMP/xdg-cache"
accepted
{ assert_rc 0 && assert_stderr 'reusing the configured build' && [ "$(norm_backing "$TEST_TMP/out")" = "$(norm_backing "$TEST_TMP/two1.out")" ] \
  && [ -z "$(ls -A "$two/backport/scratch" 2>/dev/null)" ]; } \
    && ok "the cache two runs shared serves a third: configured build reused, no scratch left" \
    || not_ok "the cache two runs shared serves a third: configured build reused, no scratch left"
rm -rf "$two"
fi

# ---- the figures ----------------------------------------------------------------------
if [ -s "$TEST_TMP/figures" ]; then
    diag "interruptions (command signal: tried, before, after, recovered, half, survivors, leftovers, crashes):"
    awk '{ k = $1 " " $2; order[k] = order[k] ? order[k] : ++n; key[n] = k; t[k]++; if ($3 == "before") b[k]++; else if ($3 == "after") a[k]++;
           r[k] += ($4 > 0); s[k] += $5; l[k] += $6; h[k] += $7; c[k] += $8 }
         END { for (i = 1; i <= n; i++) { k = key[i]; printf "#   %-12s %-5s %3d tried, %3d before, %3d after, %2d recovered, %d half, %d survivors, %d leftovers, %d crashes\n",
               substr(k, 1, index(k, " ") - 1), substr(k, index(k, " ") + 1), t[k], b[k], a[k], r[k], h[k], s[k], l[k], c[k] } }' \
        "$TEST_TMP/figures" >&2
fi
diag "figures: $tried cases tried ($hostile_tried hostile inputs, $clear refused clearly), $crashes crashes, $halfs half-applied states, $survived survivors, $left leftovers, $recovered recoveries after SIGKILL, $leaks leak reports"
none_bad() { [ "$crashes" -eq 0 ] && [ "$halfs" -eq 0 ] && [ "$survived" -eq 0 ] && [ "$left" -eq 0 ] && [ "$leaks" -eq 0 ]; }
check "figures: no crash, no half-applied state, no survivor, no leftover, no leak" none_bad
finish
