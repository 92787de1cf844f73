# The apply journal (issue 16): SIGKILL apply at points spread over its
# rename phase, on a generated wide series (2000 files, new directories,
# deletions, modes, a symlink) in a plain tree, a git tree and a Debian
# 3.0 (quilt) tree; the next `backport status --tree` recovers the tree,
# which must then be byte for byte the state before the apply or the fully
# applied one (files, modes, symlinks, index, refs, reflogs, no stray file).
# Kill points come from the transaction's test hook
# (BACKPORT_TEST_TRANSACTION=kill-after:N, N counting renames, then the
# index/ref checkpoint, then finish), plus kills at wall-clock delays.
. "$(dirname "$0")/libtest.sh"
command -v git >/dev/null || plan_skip "git is not installed"
plan 19

wide="$TEST_TMP/wide"
sh "$FIXTURES/gen-wide-series.sh" "$wide" 2000 >"$TEST_TMP/gen" 2>&1 || { sed 's/^/# /' "$TEST_TMP/gen"; plan_skip "cannot generate the wide series"; }
export BACKPORT_PACKS="$wide/packs"
git_id() { git -c user.name="Bea Backporter" -c user.email=bea@example.org "$@"; }

# The trees: plain (line 10.2), git (10.2, one commit per patch), quilt (11.0).
mkdir -p "$TEST_TMP/base"
cp -a "$wide/base" "$TEST_TMP/base/plain"
cp -a "$wide/base" "$TEST_TMP/base/git"
(cd "$TEST_TMP/base/git" && git init -q -b main . && git add -A && git_id commit -qm base \
  && git config user.name "Bea Backporter" && git config user.email bea@example.org)
cp -a "$wide/debian-src" "$TEST_TMP/base/quilt-src"

tree_of() { case $1 in quilt) echo "$2/quilt-src/wide-1.0" ;; *) echo "$2/$1" ;; esac; }
line_of() { case $1 in quilt) echo 11.0 ;; *) echo 10.2 ;; esac; }
opts_of() { case $1 in quilt) echo --quilt ;; *) ;; esac; }
# fresh KIND DIR: KIND's base tree at DIR, its files hard-linked to the base
# (cheap, and proof that nothing is written through a link: the base's
# snapshots would change); the repository's own files are copied (reflogs
# are appended in place), its objects linked (never rewritten).
fresh() {
    rm -rf "$2"
    mkdir -p "$2"
    case $1 in
        quilt) cp -al "$TEST_TMP/base/quilt-src" "$2/" ;;
        git) cp -al "$TEST_TMP/base/git" "$2/" && rm -rf "$2/git/.git" && mkdir "$2/git/.git" \
             && (cd "$TEST_TMP/base/git/.git" && tar -cf - --exclude=./objects .) | tar -xf - -C "$2/git/.git" \
             && cp -al "$TEST_TMP/base/git/.git/objects" "$2/git/.git/" ;;
        *) cp -al "$TEST_TMP/base/$1" "$2/" ;;
    esac
}

# snapshot TREE: every path with its type, mode and link target, every file's
# hash; in a git tree also what git says (the last lines: exact bytes of the
# index, refs and reflogs, compared only against the state before).
snapshot() {
    (cd "$1" && find . -path ./.git -prune -o -printf '%y %m %p %l\n' | LC_ALL=C sort \
     && find . -path ./.git -prune -o -type f -print0 | xargs -0 sha256sum | LC_ALL=C sort -k 2)
    if [ -d "$1/.git" ]; then
        (cd "$1" && ls -a .git | grep -v '^objects$' \
         && git log --format='%an <%ae> %ad%n%B' main && git rev-parse 'HEAD^{tree}' \
         && git ls-files -s && git status --porcelain=v1 --ignored -uall)
    fi
}
exact_git() {
    [ -d "$1/.git" ] || return 0
    (cd "$1/.git" && git --git-dir=. rev-parse HEAD && sha256sum index HEAD logs/HEAD logs/refs/heads/main \
     && find refs -type f | LC_ALL=C sort | xargs cat)
}

tried=0 back=0 forward=0 half=0 timed=0 gs_ok=no ds_ok=no
# classify KIND TREE: the recovered TREE is the state before or after
classify() {
    # the exact bytes first: git status may refresh the index
    exact_git "$2" >"$TEST_TMP/now-exact" 2>&1
    snapshot "$2" >"$TEST_TMP/now" 2>&1
    if cmp -s "$TEST_TMP/now" "$TEST_TMP/$1.before" && cmp -s "$TEST_TMP/now-exact" "$TEST_TMP/$1.before-exact"; then
        back=$((back + 1)); state=back
    elif cmp -s "$TEST_TMP/now" "$TEST_TMP/$1.after"; then
        forward=$((forward + 1)); state=forward
    else
        half=$((half + 1)); state=half
        diag "$1: half state left:"; diff "$TEST_TMP/$1.before" "$TEST_TMP/now" | head -n 20 | sed 's/^/#   /' >&2
    fi
}

# ---- reference states and step counts -----------------------------------
for kind in plain git quilt; do
    w="$TEST_TMP/ref-$kind"
    fresh "$kind" "$w"
    t=$(tree_of "$kind" "$w")
    exact_git "$t" >"$TEST_TMP/$kind.before-exact" 2>&1
    snapshot "$t" >"$TEST_TMP/$kind.before" 2>&1
    t0=$(date +%s%N)
    BACKPORT_TEST_TRANSACTION=count bp apply "$(line_of $kind)" --tree "$t" $(opts_of $kind)
    t1=$(date +%s%N)
    eval "ms_$kind=$(( (t1 - t0) / 1000000 ))"
    steps=$(sed -n 's/^backport: test: \([0-9]*\) transaction steps$/\1/p' "$TEST_TMP/err")
    eval "steps_$kind=${steps:-0}"
    first=$rc
    snapshot "$t" >"$TEST_TMP/$kind.after" 2>&1
    bp apply "$(line_of $kind)" --tree "$t" $(opts_of $kind)
    { [ "$first" -eq 0 ] && [ -n "$steps" ] && [ "$steps" -gt 2000 ] && ! cmp -s "$TEST_TMP/$kind.before" "$TEST_TMP/$kind.after" \
      && ! grep -q backport-journal "$TEST_TMP/$kind.after" && assert_rc 0 && assert_stdout "already applied" \
      && snapshot "$t" 2>&1 | cmp -s - "$TEST_TMP/$kind.after"; } \
      && ok "$kind: the wide series applies ($steps steps), no journal left; again: already applied" \
      || not_ok "$kind: the wide series applies ($steps steps), no journal left; again: already applied"
    rm -rf "$w"
done
grep -q '^l 777 ./hw/wide/new-link d01/f0051.c$' "$TEST_TMP/plain.after" \
  && ok "plain: the series' symlink is a symlink inside the tree" || not_ok "plain: the series' symlink is a symlink inside the tree"

# ---- SIGKILL at hook points ---------------------------------------------
# kill_at KIND N: a fresh tree, apply killed after step N, status recovers
kill_at() {
    w="$TEST_TMP/k"
    fresh "$1" "$w"
    t=$(tree_of "$1" "$w")
    BACKPORT_TEST_TRANSACTION=kill-after:$2 bp apply "$(line_of $1)" --tree "$t" $(opts_of $1)
    killed=$rc
    tried=$((tried + 1))
    [ -n "${3:-}" ] && "$3" "$t"
    bp status --tree "$t"
    recovered=$(grep -c "^backport: .*: an interrupted write was \(rolled back\|completed\)" "$TEST_TMP/err")
    classify "$1" "$t"
    [ "$killed" -eq 137 ] && [ "$recovered" -eq 1 ] && [ "$state" != half ]
}

# Before recovery, what a user sees of a killed apply: git status lists no
# staged file or journal; dpkg-source -b leaves them out.
git_status_clean_of_ours() {
    git -C "$1" status --porcelain=v1 --ignored -uall >"$TEST_TMP/gs"
    if grep -q 'backport' "$TEST_TMP/gs"; then gs_ok=no; else gs_ok=yes; fi
    [ -d "$1/.git/backport-journal" ] || gs_ok=no
}
dpkg_source_build() {
    ds_ok=skip
    command -v dpkg-source >/dev/null || return 0
    [ -d "$1/.pc/.backport-journal" ] || { ds_ok=no; return 0; }
    if (cd "$1/.." && dpkg-source -b wide-1.0 >"$TEST_TMP/dsb" 2>&1) \
       && xz -dc "$1"/../wide_1.0-1.debian.tar.xz | tar -tf - >"$TEST_TMP/dsb.list" \
       && ! grep -q backport "$TEST_TMP/dsb.list"; then ds_ok=yes; else ds_ok=no; sed 's/^/#   /' "$TEST_TMP/dsb" >&2; fi
    rm -f "$1"/../wide_1.0-1.*
}

for kind in plain git quilt; do
    eval "s=\$steps_$kind"
    # spread over the renames, then the last rename and the steps after it
    points="1 $((s / 4)) $((s / 2)) $((3 * s / 4)) $((s - 3)) $((s - 2)) $((s - 1)) $s"
    results=""
    failed=0
    for p in $points; do
        hook=
        [ "$kind" = git ] && [ "$p" = $((s / 2)) ] && hook=git_status_clean_of_ours
        [ "$kind" = quilt ] && [ "$p" = $((s - 2)) ] && hook=dpkg_source_build
        if kill_at "$kind" "$p" "$hook"; then results="$results $p:$state"; else results="$results $p:FAIL($state)"; failed=1; fi
    done
    diag "$kind ($s steps):$results"
    [ "$failed" -eq 0 ] && ok "$kind: 8 kills over the rename phase, each recovered to the state before or after" \
      || not_ok "$kind: 8 kills over the rename phase, each recovered to the state before or after"
done
[ "$gs_ok" = yes ] && ok "git: a killed apply's staged files and journal never show in git status" \
  || not_ok "git: a killed apply's staged files and journal never show in git status"
case $ds_ok in
    yes) ok "quilt: dpkg-source -b of a killed apply's tree leaves the journal out" ;;
    skip) skip "dpkg-source is not installed" ;;
    *) not_ok "quilt: dpkg-source -b of a killed apply's tree leaves the journal out" ;;
esac

# ---- SIGKILL at wall-clock delays ---------------------------------------
# Late in the run, where the renames are; any phase must recover.
for kind in plain git quilt; do
    eval "ms=\$ms_$kind"
    failed=0 results=""
    for pct in 85 95; do
        w="$TEST_TMP/k"
        fresh "$kind" "$w"
        t=$(tree_of "$kind" "$w")
        "$BACKPORT" apply "$(line_of $kind)" --tree "$t" $(opts_of $kind) >/dev/null 2>&1 &
        pid=$!
        sleep "$(echo "$ms $pct" | awk '{ printf "%.3f", $1 * $2 / 100000 }')"
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        tried=$((tried + 1)) timed=$((timed + 1))
        bp status --tree "$t"
        classify "$kind" "$t"
        results="$results $pct%:$state"
        [ "$state" = half ] && failed=1
    done
    diag "$kind, timed kills:$results"
    [ "$failed" -eq 0 ] && ok "$kind: kills at 85 and 95% of the apply's time leave no half state" \
      || not_ok "$kind: kills at 85 and 95% of the apply's time leave no half state"
done
diag "kills tried $tried ($timed timed), recovered back $back, recovered forward $forward, half states left $half"
[ "$half" -eq 0 ] && [ "$tried" -ge 20 ] && ok "figures: $tried kills, $back back, $forward forward, $half half" \
  || not_ok "figures: $tried kills, $back back, $forward forward, $half half"

# ---- apply --recover, in-process failure, hostile journals ----------------
w="$TEST_TMP/k"
fresh git "$w"
BACKPORT_TEST_TRANSACTION=kill-after:700 bp apply 10.2 --tree "$w/git"
bp apply --recover --tree "$w/git"
{ assert_rc 0 && assert_one_line_error "an interrupted write was rolled back" && classify git "$w/git" && [ "$state" = back ]; } \
  && ok "apply --recover rolls a killed git apply back: HEAD, index, reflogs and files as before" \
  || not_ok "apply --recover rolls a killed git apply back: HEAD, index, reflogs and files as before"
bp apply --recover --tree "$w/git"
{ assert_rc 0 && assert_stdout "no interrupted apply to recover"; } && ok "apply --recover with nothing to do says so" \
  || not_ok "apply --recover with nothing to do says so"

fresh git "$w"
BACKPORT_TEST_TRANSACTION=fail-after:$((steps_git - 1)) bp apply 10.2 --tree "$w/git"
{ assert_rc 3 && assert_one_line_error "failure injected" && classify git "$w/git" && [ "$state" = back ] \
  && [ ! -e "$w/git/.git/backport-journal" ]; } \
  && ok "a failure after the index step undoes files, index and ref in the process" \
  || not_ok "a failure after the index step undoes files, index and ref in the process"

fresh plain "$w"
BACKPORT_TEST_TRANSACTION=fail-after:1000 bp apply 10.2 --tree "$w/plain"
{ assert_rc 3 && classify plain "$w/plain" && [ "$state" = back ]; } \
  && ok "a failure half-way through the renames puts every file back, removes the new directories" \
  || not_ok "a failure half-way through the renames puts every file back, removes the new directories"

# A journal planted in a tree (a tarball could carry one) claims a file was
# created by us: recovery removes only inodes it staged.
fresh plain "$w"
mkdir "$w/plain/.backport-journal"
printf 'backport-journal 1\nop =VERSION =s:t0 - 1 1\nend 1\n' >"$w/plain/.backport-journal/journal"
bp status --tree "$w/plain"
{ [ -f "$w/plain/VERSION" ] && [ ! -e "$w/plain/.backport-journal" ] && classify plain "$w/plain" && [ "$state" = back ]; } \
  && ok "a planted journal cannot make recovery delete a file it did not create" \
  || not_ok "a planted journal cannot make recovery delete a file it did not create"

mkdir "$w/plain/.backport-journal"
printf 'backport-journal 1\nop =../../etc/passwd - =s:o0 1 1\nend 1\n' >"$w/plain/.backport-journal/journal"
bp status --tree "$w/plain"
{ assert_rc 3 && assert_one_line_error "cannot read the journal" && [ -d "$w/plain/.backport-journal" ]; } \
  && ok "a journal naming a path outside the tree is refused, exit 3, nothing touched" \
  || not_ok "a journal naming a path outside the tree is refused, exit 3, nothing touched"
rm -rf "$w"
finish
