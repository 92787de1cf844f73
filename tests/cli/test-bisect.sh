# backport bisect on synthetic histories, each answer (and every step taken)
# compared with `git bisect run` on the same repository and an equivalent
# predicate script.
. "$(dirname "$0")/libtest.sh"
command -v git >/dev/null 2>&1 || plan_skip "no git to compare with"
plan 55

GEN="$FIXTURES/gen-bisect-history.sh"
export GIT_CONFIG_NOSYSTEM=1 HOME="$TEST_TMP"
# our temporary checkouts go here, so the test can see they are removed
export TMPDIR="$TEST_TMP/tmp"
mkdir -p "$TMPDIR"
git config --global user.email t@example.org
git config --global user.name Tester
git config --global advice.detachedHead false

# The predicate as a git bisect run script: 125 when the tree says so, bad
# when the bug is there.
cat >"$TEST_TMP/pred.sh" <<'EOF'
grep -q UNTESTABLE build.txt && exit 125
grep -q 'bug()' src/feature.c && exit 1
exit 0
EOF
PRED="sh $TEST_TMP/pred.sh"

gen() { sh "$GEN" "$@" >/dev/null; }
mark() { awk -v k="$2" '$1 == ":" k { print $2 }' "$1.marks"; }
marks_of() { grep -E '^git bisect (good|bad|skip) ' "$1" | awk '{ print $3, $4 }'; }

# git_bisect REPO BAD GOOD [--first-parent]: git bisect run with the script;
# leaves $TEST_TMP/git.log (marks) and $TEST_TMP/git.result (first bad, or
# the suspects one a line).
git_bisect() {
    _r=$1 _bad=$2 _good=$3; shift 3
    git -C "$_r" bisect start "$@" "$_bad" "$_good" >/dev/null 2>&1
    git -C "$_r" bisect run $PRED >"$TEST_TMP/git.out" 2>&1 || true
    git -C "$_r" bisect log >"$TEST_TMP/git.fulllog" 2>/dev/null
    git -C "$_r" bisect reset >/dev/null 2>&1
    marks_of "$TEST_TMP/git.fulllog" >"$TEST_TMP/git.log"
    if grep -q 'could be any of' "$TEST_TMP/git.out"; then
        sed -n '/could be any of/,/cannot bisect more/p' "$TEST_TMP/git.out" | grep -E '^[0-9a-f]{40}$' >"$TEST_TMP/git.result"
    else
        sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit$/\1/p' "$TEST_TMP/git.out" >"$TEST_TMP/git.result"
    fi
}

# our_result: same shape from our stdout
our_result() {
    if grep -q 'could be any of' "$TEST_TMP/out"; then
        grep -E '^[0-9a-f]{40}$' "$TEST_TMP/out"
    else
        sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit$/\1/p' "$TEST_TMP/out"
    fi
}

# same_as_git NAME: our log and answer equal git's
same_as_git() {
    marks_of "$TEST_TMP/our.log" >"$TEST_TMP/our.marks"
    our_result >"$TEST_TMP/our.result"
    if ! [ -s "$TEST_TMP/git.result" ]; then diag "git found nothing:"; sed 's/^/#   /' "$TEST_TMP/git.out" >&2; return 1; fi
    if ! cmp -s "$TEST_TMP/our.marks" "$TEST_TMP/git.log"; then
        diag "steps differ from git bisect (ours < > git):"; diff "$TEST_TMP/our.marks" "$TEST_TMP/git.log" | sed 's/^/#   /' >&2; return 1
    fi
    if ! cmp -s "$TEST_TMP/our.result" "$TEST_TMP/git.result"; then
        diag "answer differs (ours < > git):"; diff "$TEST_TMP/our.result" "$TEST_TMP/git.result" | sed 's/^/#   /' >&2; return 1
    fi
}

content() { _r=$1 _g=$2 _b=$3; shift 3; bp bisect --repo "$_r" --good "$_g" --bad "$_b" --predicate content --path src/feature.c --pattern 'bug\(\)' --log "$TEST_TMP/our.log" "$@"; }

# ---- linear ---------------------------------------------------------------
R=$TEST_TMP/linear
gen "$R" SHAPE=linear COMMITS=300 CULPRIT=211
first=$(mark "$R" 1); culprit=$(mark "$R" 211)
bp bisect --repo "$R" --good "$first" --bad main --predicate content --path src/feature.c --pattern 'bug\(\)' --log "$TEST_TMP/our.log"
git_bisect "$R" main "$first"
{ assert_rc 0 && assert_stdout "^$culprit is the first bad commit" && same_as_git; } \
    && ok "linear 300: content finds the culprit with git's steps" || not_ok "linear 300: content finds the culprit with git's steps"
check "linear: progress like git on stderr" assert_stderr '^Bisecting: [0-9]* revisions left to test after this (roughly [0-9]* steps)'
check "linear: evidence names the matching line" assert_stdout "evidence: bad: /bug\\\\(\\\\)/ matches src/feature.c:4"

head_before=$(git -C "$R" rev-parse HEAD); index_before=$(sha1sum <"$R/.git/index")
bp bisect --repo "$R" --good "$first" --bad main --run "$PRED" --log "$TEST_TMP/our.log"
{ assert_rc 0 && same_as_git; } && ok "linear: run predicate, same steps as git bisect run" || not_ok "linear: run predicate, same steps as git bisect run"
{ [ "$(git -C "$R" rev-parse HEAD)" = "$head_before" ] && [ "$(sha1sum <"$R/.git/index")" = "$index_before" ] \
    && [ -z "$(git -C "$R" status --porcelain)" ] && [ -z "$(ls -A "$TMPDIR")" ]; } \
    && ok "run: user's HEAD, index and tree untouched, temp checkout removed" || not_ok "run: user's HEAD, index and tree untouched, temp checkout removed"

git clone -q --bare "$R" "$TEST_TMP/linear.git"
bp bisect --repo "$TEST_TMP/linear.git" --good "$first" --bad main --run "$PRED" --log "$TEST_TMP/our.log"
{ assert_rc 0 && same_as_git && [ -z "$(ls -A "$TMPDIR")" ]; } \
    && ok "run predicate on a bare repository: same steps as git" || not_ok "run predicate on a bare repository: same steps as git"

bp bisect --repo "$R" --good "$first" --bad main --predicate content --path src/feature.c --pattern 'bug\(\)' --json
{ assert_rc 0 && assert_stdout "\"result\" : \"found\"" && assert_stdout "\"commit\" : \"$culprit\"" \
    && assert_stdout '"evaluations" : 2'; } \
    && ok "--json: result, commit, and two blobs evaluated in all" || not_ok "--json: result, commit, and two blobs evaluated in all"

# ---- replay ---------------------------------------------------------------
content "$R" "$first" main >/dev/null
head -n 9 "$TEST_TMP/our.log" >"$TEST_TMP/partial.log"   # start + 2 marks
bp bisect --repo "$R" --replay "$TEST_TMP/partial.log" --predicate content --path src/feature.c --pattern 'bug\(\)' --log "$TEST_TMP/replayed.log"
{ assert_rc 0 && assert_stdout "^$culprit is the first bad commit" && assert_stderr '^replayed: ' \
    && [ "$(marks_of "$TEST_TMP/replayed.log")" = "$(marks_of "$TEST_TMP/our.log")" ]; } \
    && ok "--replay of a partial log carries on to the same steps and answer" || not_ok "--replay of a partial log carries on to the same steps and answer"
# a log is read with a bound, as every input (issue 19)
head -c 17000000 /dev/zero | tr '\0' '#' >"$TEST_TMP/huge.log"
bp bisect --repo "$R" --replay "$TEST_TMP/huge.log" --predicate content --path src/feature.c --pattern 'bug\(\)'
{ assert_rc 3 && assert_one_line_error 'huge.log: over the 16 MiB limit'; } \
    && ok "--replay of a 17 MB log: over the limit, exit 3" || not_ok "--replay of a 17 MB log: over the limit, exit 3"
rm -f "$TEST_TMP/huge.log"
git_bisect "$R" main "$first"
bp bisect --repo "$R" --replay "$TEST_TMP/git.fulllog" --predicate content --path src/feature.c --pattern 'bug\(\)'
{ assert_rc 0 && assert_stdout "^$culprit is the first bad commit" && assert_not_file_has_content "$TEST_TMP/err" '^Bisecting'; } \
    && ok "--replay reads git bisect log's own output, nothing left to test" || not_ok "--replay reads git bisect log's own output, nothing left to test"
(cd "$R" && git bisect start main "$first" >/dev/null 2>&1 && git bisect replay "$TEST_TMP/our.log" >"$TEST_TMP/gitreplay.out" 2>&1; git bisect reset >/dev/null 2>&1)
check "git bisect replay reads our log" assert_file_has_content "$TEST_TMP/gitreplay.out" "^$culprit is the first bad commit"

# ---- merges: culprit deep in a side branch --------------------------------
R=$TEST_TMP/merges
gen "$R" SHAPE=merges ROUNDS=12 MAIN=7 SIDE=9 CULPRIT=
# the first side commit of round 5
c=$(awk '$2 == "side" && $3 == 5 { print $1; exit }' "$R.manifest")
gen "$R" SHAPE=merges ROUNDS=12 MAIN=7 SIDE=9 CULPRIT="$c"
first=$(mark "$R" 1); culprit=$(mark "$R" "$c")
content "$R" "$first" main
git_bisect "$R" main "$first"
{ assert_rc 0 && assert_stdout "^$culprit is the first bad commit" && same_as_git; } \
    && ok "merges: culprit deep in a side branch, git's steps" || not_ok "merges: culprit deep in a side branch, git's steps"

bp bisect --repo "$R" --good "$first" --bad main --run "$PRED" --log "$TEST_TMP/our.log"
{ assert_rc 0 && same_as_git; } && ok "merges: run predicate, same steps as git" || not_ok "merges: run predicate, same steps as git"

# first parent: the merge that brought the side branch in
merge=$(awk '$2 == "merge" && $3 == 5 { print $1 }' "$R.manifest")
content "$R" "$first" main --first-parent
git_bisect "$R" main "$first" --first-parent
{ assert_rc 0 && assert_stdout "^$(mark "$R" "$merge") is the first bad commit" && same_as_git; } \
    && ok "--first-parent: the merge bringing the culprit in, git's steps" || not_ok "--first-parent: the merge bringing the culprit in, git's steps"
check "--first-parent: the log says so" assert_file_has_content "$TEST_TMP/our.log" "^git bisect start '--first-parent'"

# equal committer dates: the walk order falls back to queueing order
R=$TEST_TMP/samedate
gen "$R" SHAPE=merges ROUNDS=10 MAIN=4 SIDE=6 CULPRIT=37 SAME_DATE=1
first=$(mark "$R" 1)
content "$R" "$first" main
git_bisect "$R" main "$first"
{ assert_rc 0 && same_as_git; } && ok "equal dates: same steps as git" || not_ok "equal dates: same steps as git"

# a range over 2048 commits, where git takes "within 0.1% of half" at once
R=$TEST_TMP/big
gen "$R" SHAPE=merges ROUNDS=130 MAIN=12 SIDE=8 CULPRIT=1705 SKEW=1
first=$(mark "$R" 1)
content "$R" "$first" main
git_bisect "$R" main "$first"
{ assert_rc 0 && assert_stdout "^$(mark "$R" 1705) is the first bad commit" && same_as_git; } \
    && ok "2731 commits with merges and skew: git's steps" || not_ok "2731 commits with merges and skew: git's steps"

# clock skew: parents newer than their children, as in real histories
R=$TEST_TMP/skew
gen "$R" SHAPE=merges ROUNDS=14 MAIN=5 SIDE=7 CULPRIT=101 SKEW=1
first=$(mark "$R" 1)
content "$R" "$first" main
git_bisect "$R" main "$first"
{ assert_rc 0 && assert_stdout "^$(mark "$R" 101) is the first bad commit" && same_as_git; } \
    && ok "clock skew: same walk, same steps as git" || not_ok "clock skew: same walk, same steps as git"

# ---- skips ------------------------------------------------------------------
R=$TEST_TMP/skips
gen "$R" SHAPE=linear COMMITS=200 CULPRIT=120 SKIP="117 118 119 120 121"
first=$(mark "$R" 1)
bp bisect --repo "$R" --good "$first" --bad main --run "$PRED" --log "$TEST_TMP/our.log"
git_bisect "$R" main "$first"
{ assert_rc 1 && assert_stdout "^The first bad commit could be any of:" && same_as_git; } \
    && ok "skips around the culprit: ambiguous, the same suspects as git, exit 1" || not_ok "skips around the culprit: ambiguous, the same suspects as git, exit 1"
check "skips: the suspects include the culprit" assert_stdout "^$(mark "$R" 120)\$"

R=$TEST_TMP/skips2
c=57
gen "$R" SHAPE=merges ROUNDS=10 MAIN=5 SIDE=6 CULPRIT=$c SKIP="20 21 22 23 24 25 26 27 28 29 30 31 40 41 80 81 82 83"
first=$(mark "$R" 1)
bp bisect --repo "$R" --good "$first" --bad main --run "$PRED" --log "$TEST_TMP/our.log"
git_bisect "$R" main "$first"
{ assert_rc 0 && assert_stdout "^$(mark "$R" $c) is the first bad commit" && same_as_git; } \
    && ok "skips away from the culprit, merges: exact answer, git's steps" || not_ok "skips away from the culprit, merges: exact answer, git's steps"

# many shapes, culprits and skip sets: every run must take git's steps
fails=0 ambiguous=0
for seed in 1 2 3 4 5 6 7 8; do
    shape=merges; [ $((seed % 3)) -eq 0 ] && shape=linear
    set -- $(awk -v s=$seed 'BEGIN { srand(s); n = 60 + int(rand() * 60); c = 2 + int(rand() * (n - 2));
        k = ""; for (i = 0; i < 3 + int(rand() * 10); i++) k = k " " (2 + int(rand() * (n - 2)));
        if (s % 2) k = k " " c " " (c + 1); else if (s % 4 == 0) k = k " " (c - 1);
        print n, c, k }')
    n=$1 c=$2; shift 2
    R=$TEST_TMP/prop$seed
    if [ $shape = linear ]; then gen "$R" SHAPE=linear COMMITS=$n CULPRIT=$c SKIP="$*"
    else gen "$R" SHAPE=merges ROUNDS=$((n / 12)) MAIN=$((2 + seed % 5)) SIDE=$((1 + seed % 7)) CULPRIT=$c SKIP="$*"; fi
    first=$(mark "$R" 1)
    fp=; [ $((seed % 4)) -eq 1 ] && fp=--first-parent
    bp bisect --repo "$R" --good "$first" --bad main --run "$PRED" --log "$TEST_TMP/our.log" $fp
    git_bisect "$R" main "$first" $fp
    grep -q "could be any of" "$TEST_TMP/out" && ambiguous=$((ambiguous + 1))
    same_as_git || { fails=$((fails + 1)); diag "seed $seed: $shape n=$n culprit=$c skip=$* $fp"; }
done
[ $fails -eq 0 ] && [ $ambiguous -gt 0 ] && ok "8 random histories with skips (some first-parent): git's steps and answers" \
    || not_ok "8 random histories with skips (some first-parent): git's steps and answers"

# 33+ leading skips: git bisect run carries on, and so must we
R=$TEST_TMP/leadskips
gen "$R" SHAPE=linear COMMITS=250 CULPRIT=247 SKIP="$(seq -s ' ' 5 242)"
first=$(mark "$R" 1)
bp bisect --repo "$R" --good "$first" --bad main --run "$PRED" --log "$TEST_TMP/our.log"
git_bisect "$R" main "$first"
lead=$(marks_of "$TEST_TMP/our.log" | awk '$1 != "skip" { exit } { n++ } END { print n + 0 }')
{ assert_rc 0 && assert_stdout "^$(mark "$R" 247) is the first bad commit" && same_as_git \
    && [ "$lead" -ge 33 ] && assert_stdout "evidence: bad: '$PRED' exited 1"; } \
    && ok "the first $lead commits tested skipped: git's steps ($(wc -l <"$TEST_TMP/git.log") marks) and answer, exit 0" \
    || not_ok "33+ leading skips: git's steps and answer, exit 0"
bp bisect --repo "$R" --good "$first" --bad main --run "$PRED" --max-skips 10
{ assert_rc 3 && [ "$(grep -c '^backport bisect' "$TEST_TMP/err")" -eq 1 ] \
    && assert_stderr "^backport bisect: predicate 'run' skipped 11 commits, more than the 10 allowed (last: '$PRED' exited 125)$" \
    && [ -z "$(ls -A "$TMPDIR")" ]; } \
    && ok "--max-skips 10: stops at the 11th skip, exit 3, one line, scratch removed" \
    || not_ok "--max-skips 10: stops at the 11th skip, exit 3, one line, scratch removed"
bp bisect --repo "$R" --good "$first" --bad main --run "$PRED" --max-skips 1000
{ assert_rc 0 && assert_stdout "^$(mark "$R" 247) is the first bad commit"; } \
    && ok "--max-skips above what is needed changes nothing" || not_ok "--max-skips above what is needed changes nothing"

# every commit skipped: git lists them all, and so do we (exit 3: nothing decided)
R=$TEST_TMP/allskip
gen "$R" SHAPE=linear COMMITS=40
first=$(mark "$R" 1)
bp bisect --repo "$R" --good "$first" --bad main --run 'exit 125' --log "$TEST_TMP/our.log"
echo 'exit 125' >"$TEST_TMP/skip-all.sh"
PRED_SAVED=$PRED; PRED="sh $TEST_TMP/skip-all.sh"
git_bisect "$R" main "$first"
PRED=$PRED_SAVED
{ assert_rc 3 && assert_stdout "^The first bad commit could be any of:" && same_as_git \
    && [ "$(wc -l <"$TEST_TMP/our.result")" -eq 39 ] \
    && [ "$(grep -c '^backport bisect' "$TEST_TMP/err")" -eq 1 ] \
    && assert_stderr "^backport bisect: predicate 'run' skipped every commit it tested (38) and decided none: 'exit 125' exited 125"; } \
    && ok "every commit skipped: git's 39 suspects in git's order, exit 3, one error line" \
    || not_ok "every commit skipped: git's 39 suspects in git's order, exit 3, one error line"

# ---- commit-graph: the walk reads parents and dates from it ------------------
R=$TEST_TMP/skew
first=$(mark "$R" 1)
git_bisect "$R" main "$first"
cp "$TEST_TMP/git.log" "$TEST_TMP/git.nograph.log"
git -C "$R" commit-graph write --reachable 2>/dev/null
content "$R" "$first" main
{ assert_rc 0 && [ -f "$R/.git/objects/info/commit-graph" ] && same_as_git; } \
    && ok "with a commit-graph file: git's steps" || not_ok "with a commit-graph file: git's steps"
rm -f "$R/.git/objects/info/commit-graph"
mark "$R" 60 | git -C "$R" commit-graph write --split --stdin-commits 2>/dev/null
git -C "$R" commit-graph write --reachable --split=no-merge 2>/dev/null
content "$R" "$first" main
{ assert_rc 0 && [ "$(wc -l <"$R/.git/objects/info/commit-graphs/commit-graph-chain")" -eq 2 ] && same_as_git; } \
    && ok "with a split commit-graph chain: git's steps" || not_ok "with a split commit-graph chain: git's steps"
rm -rf "$R/.git/objects/info/commit-graphs"
printf 'CGPH\001\001\003\000garbage' >"$R/.git/objects/info/commit-graph"
content "$R" "$first" main
{ assert_rc 0 && same_as_git; } && ok "a corrupt commit-graph is not used: git's steps" || not_ok "a corrupt commit-graph is not used: git's steps"
rm -f "$R/.git/objects/info/commit-graph"

# an octopus merge: parents past the second come from the graph's EDGE chunk
R=$TEST_TMP/octopus
git init -q -b main "$R"
mkdir -p "$R/src"; echo builds >"$R/build.txt"
echo 'int feature (void) { return 0; }' >"$R/src/feature.c"
git -C "$R" add -A && git -C "$R" commit -qm base
base=$(git -C "$R" rev-parse HEAD)
for b in b1 b2 b3 b4; do
    git -C "$R" checkout -q -b "$b" "$base"
    for i in 1 2 3; do echo "$b $i" >"$R/$b.txt"; git -C "$R" add -A; git -C "$R" commit -qm "$b $i"; done
done
git -C "$R" checkout -q b3
echo 'int feature (void) { bug(); return 0; }' >"$R/src/feature.c"
git -C "$R" commit -qam "b3: the culprit"
culprit=$(git -C "$R" rev-parse HEAD)
echo "b3 4" >"$R/b3.txt"; git -C "$R" commit -qam "b3 4"
git -C "$R" checkout -q main
git -C "$R" merge -q --no-edit b1 b2 b3 b4 >/dev/null
for i in 1 2 3; do echo "$i" >"$R/after"; git -C "$R" add -A; git -C "$R" commit -qm "after $i"; done
git_bisect "$R" main "$base"
git -C "$R" commit-graph write --reachable 2>/dev/null
content "$R" "$base" main
{ assert_rc 0 && assert_stdout "^$culprit is the first bad commit" && same_as_git; } \
    && ok "octopus merge of four branches, with a commit-graph: git's steps" \
    || not_ok "octopus merge of four branches, with a commit-graph: git's steps"

# ---- submodules: a .gitmodules file and a gitlink ---------------------------
R=$TEST_TMP/sub
gen "$R" SHAPE=linear COMMITS=120 CULPRIT=80 SUBMODULE=7 SUB_BUG=9
first=$(mark "$R" 1)
cat >"$TEST_TMP/pred-nosub.sh" <<'PRED'
# the gitlink is an empty directory, as in a clone without `submodule update`
[ -d lib/sub ] && [ -z "$(ls -A lib/sub)" ] || exit 200
grep -q UNTESTABLE build.txt && exit 125
grep -q 'bug()' src/feature.c && exit 1
exit 0
PRED
bp bisect --repo "$R" --good "$first" --bad main --run "sh $TEST_TMP/pred-nosub.sh" --log "$TEST_TMP/our.log"
git_bisect "$R" main "$first"
git -C "$R" submodule --quiet update
{ assert_rc 0 && assert_stdout "^$(mark "$R" 80) is the first bad commit" && same_as_git \
    && assert_stderr "^run: in scratch tree .*; submodules not checked out (empty directories)$"; } \
    && ok "gitlink and .gitmodules: git's steps, the submodule an empty directory, the progress line says so" \
    || not_ok "gitlink and .gitmodules: git's steps, the submodule an empty directory, the progress line says so"

git clone -q --bare "$R" "$TEST_TMP/sub.git" 2>/dev/null
bp bisect --repo "$TEST_TMP/sub.git" --good "$first" --bad main --run "sh $TEST_TMP/pred-nosub.sh" --log "$TEST_TMP/our.log"
{ assert_rc 0 && same_as_git && [ -z "$(ls -A "$TMPDIR")" ]; } \
    && ok "the same on a bare clone: git's steps, scratch removed" || not_ok "the same on a bare clone: git's steps, scratch removed"

# --submodules: the module's commits from .git/modules, compared with git
# bisect run doing `git submodule update` at each step
SUBPRED='grep -q subbug lib/sub/sub.c && exit 1; exit 0'
bp bisect --repo "$R" --good "$first" --bad main --submodules --run "$SUBPRED" --log "$TEST_TMP/our.log"
printf '%s\n' "git submodule --quiet update 2>/dev/null" "$SUBPRED" >"$TEST_TMP/git-subpred.sh"
PRED_SAVED=$PRED; PRED="sh $TEST_TMP/git-subpred.sh"
git_bisect "$R" main "$first"
PRED=$PRED_SAVED
git -C "$R" submodule --quiet update
{ assert_rc 0 && assert_stdout "^$(mark "$R" 57) is the first bad commit" && same_as_git \
    && assert_stderr "; submodules checked out from $R/.git/modules$"; } \
    && ok "--submodules: content from .git/modules/lib/sub, git's steps (git bisect run + submodule update)" \
    || not_ok "--submodules: content from .git/modules/lib/sub, git's steps (git bisect run + submodule update)"

bp bisect --repo "$TEST_TMP/sub.git" --good "$first" --bad main --submodules --run "$SUBPRED"
{ assert_rc 0 && assert_stdout "^$(mark "$R" 120) is the first bad commit" \
    && assert_stderr "submodule not in $TEST_TMP/sub.git/modules: left empty"; } \
    && ok "--submodules on a bare clone without modules/: the evidence says the module is missing" \
    || not_ok "--submodules on a bare clone without modules/: the evidence says the module is missing"
cp -R "$R/.git/modules" "$TEST_TMP/sub.git/modules"
bp bisect --repo "$TEST_TMP/sub.git" --good "$first" --bad main --submodules --run "$SUBPRED" --log "$TEST_TMP/our.log"
{ assert_rc 0 && assert_stdout "^$(mark "$R" 57) is the first bad commit" && same_as_git; } \
    && ok "--submodules on a bare repository with modules/: git's steps" \
    || not_ok "--submodules on a bare repository with modules/: git's steps"

# ---- --paths: only what the command reads ------------------------------------
R=$TEST_TMP/linear
first=$(mark "$R" 1)
git_bisect "$R" main "$first"
bp bisect --repo "$R" --good "$first" --bad main --run "test ! -e counter.txt || exit 200; $PRED" \
    --paths 'src/*' --paths build.txt --json
json_evals=$(sed -n 's/^  "evaluations" : \([0-9]*\),$/\1/p' "$TEST_TMP/out")
bp bisect --repo "$R" --good "$first" --bad main --run "test ! -e counter.txt || exit 200; $PRED" \
    --paths 'src/*' --paths build.txt --log "$TEST_TMP/our.log"
{ assert_rc 0 && same_as_git && [ "$json_evals" -eq 2 ] \
    && assert_stderr "; only paths matching 'src/\*', 'build.txt';"; } \
    && ok "--paths: only matching files exported, git's steps, cached by them (2 runs of the command)" \
    || not_ok "--paths: only matching files exported, git's steps, cached by them (2 runs of the command)"
bp bisect --repo "$R" --good "$first" --bad main --run true --paths ../etc
{ assert_rc 2 && assert_one_line_error "path glob '../etc' cannot match inside a tree"; } \
    && ok "--paths outside the tree: usage, exit 2, one line" || not_ok "--paths outside the tree: usage, exit 2, one line"
bp bisect --repo "$R" --good "$first" --bad main --predicate content --path a --pattern b --paths 'x'
{ assert_rc 2 && assert_one_line_error "go with --predicate run"; } \
    && ok "--paths without the run predicate: usage, exit 2" || not_ok "--paths without the run predicate: usage, exit 2"

# ---- read-only: nothing is written into --repo ---------------------------------
# snapshot DIR: every file's path, mode and content hash, and every directory
snapshot() { (cd "$1" && find . -printf '%y %m %p\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha1sum); }
R=$TEST_TMP/sub
first=$(mark "$R" 1)
git -C "$R" commit-graph write --reachable 2>/dev/null
snapshot "$R/.git" >"$TEST_TMP/before"
snapshot "$TEST_TMP/sub.git" >"$TEST_TMP/before.bare"
ro_ok=1
for repo in "$R" "$TEST_TMP/sub.git"; do
    for how in "--predicate content --path src/feature.c --pattern bug" "--run true" "--submodules --run true" \
               "--paths src --run true" ""; do
        bp bisect --repo "$repo" --good "$first" --bad main $how
        [ "$rc" -le 3 ] || ro_ok=0
    done
done
{ [ $ro_ok -eq 1 ] && snapshot "$R/.git" | cmp -s - "$TEST_TMP/before" \
    && snapshot "$TEST_TMP/sub.git" | cmp -s - "$TEST_TMP/before.bare"; } \
    && ok "objects, refs, packed-refs, index, config, modules: byte-identical after content, run, --submodules, --paths, repro" \
    || { diag "changed:"; snapshot "$R/.git" | diff "$TEST_TMP/before" - | head -n 5 | sed 's/^/#   /' >&2; \
         not_ok "objects, refs, packed-refs, index, config, modules: byte-identical after content, run, --submodules, --paths, repro"; }

# a repository nobody can write: chmod -R a-w, and for root (whom modes do
# not stop) a read-only bind mount in a private mount namespace
RO=$TEST_TMP/ro
cp -R "$R" "$RO"
chmod -R a-w "$RO"
ro_run() {
    if [ "$(id -u)" -eq 0 ]; then
        rc=0
        unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" || exit 99
                          shift; exec "$@"' sh "$RO" "$BACKPORT" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
    else
        bp "$@"
    fi
}
if [ "$(id -u)" -eq 0 ] && ! unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && ! touch "$1/x"' sh "$RO" 2>/dev/null; then
    skip "read-only repository: root, and no private mount namespace to make it read-only (unshare -m)"
    skip "read-only repository: root, and no private mount namespace to make it read-only (unshare -m)"
else
    ro_run bisect --repo "$RO" --good "$first" --bad main --predicate content --path src/feature.c --pattern 'bug\(\)'
    { assert_rc 0 && assert_stdout "^$(mark "$R" 80) is the first bad commit"; } \
        && ok "read-only repository: content predicate" || not_ok "read-only repository: content predicate"
    ro_run bisect --repo "$RO" --good "$first" --bad main --submodules --run "$SUBPRED"
    { assert_rc 0 && assert_stdout "^$(mark "$R" 57) is the first bad commit"; } \
        && ok "read-only repository: run predicate with --submodules" || not_ok "read-only repository: run predicate with --submodules"
fi
chmod -R u+w "$RO"

# a repository of another user: git refuses it (safe.directory), and says so
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    OWN=$TEST_TMP/theirs
    cp -R "$TEST_TMP/linear" "$OWN"
    chown -R nobody "$OWN"
    first=$(mark "$TEST_TMP/linear" 1)
    bp bisect --repo "$OWN" --good "$first" --bad main --predicate content --path src/feature.c --pattern 'bug\(\)'
    { assert_rc 3 && assert_one_line_error "belongs to another user, which git refuses too: trust it with .git config --global --add safe.directory $OWN."; } \
        && ok "another user's repository: exit 3, one line naming safe.directory" \
        || not_ok "another user's repository: exit 3, one line naming safe.directory"
    git config --global --add safe.directory "$OWN"
    bp bisect --repo "$OWN" --good "$first" --bad main --predicate content --path src/feature.c --pattern 'bug\(\)'
    { assert_rc 0 && assert_stdout "^$(mark "$TEST_TMP/linear" 211) is the first bad commit"; } \
        && ok "... and once trusted with safe.directory, it is bisected" || not_ok "... and once trusted with safe.directory, it is bisected"
    rm -rf "$OWN"
else
    skip "another user's repository: needs root and a user nobody to hand a copy to"
    skip "another user's repository: needs root and a user nobody to hand a copy to"
fi

# ---- bad input ----------------------------------------------------------
R=$TEST_TMP/linear
first=$(mark "$R" 1)
bp bisect --repo "$R" --good "$first" --bad no-such-rev --predicate content --path a --pattern b
{ assert_rc 3 && assert_one_line_error "unknown revision 'no-such-rev'"; } && ok "unknown revision: exit 3, one line" || not_ok "unknown revision: exit 3, one line"
bp bisect --repo "$R" --good main --bad "$first" --predicate content --path a --pattern b
{ assert_rc 3 && assert_one_line_error "is not an ancestor of bad"; } && ok "good not an ancestor of bad: exit 3, one line" || not_ok "good not an ancestor of bad: exit 3, one line"
bp bisect --repo "$R" --good main --bad main --predicate content --path a --pattern b
{ assert_rc 3 && assert_one_line_error "same commit"; } && ok "good == bad: exit 3, one line" || not_ok "good == bad: exit 3, one line"
git clone -q --depth 5 "file://$R" "$TEST_TMP/shallow" 2>/dev/null
bp bisect --repo "$TEST_TMP/shallow" --good HEAD~2 --bad HEAD --predicate content --path a --pattern b
{ assert_rc 3 && assert_one_line_error "shallow clone"; } && ok "shallow clone refused: exit 3, one line" || not_ok "shallow clone refused: exit 3, one line"
bp bisect --repo "$R" --good "$first" --bad main --run 'exit 125'
{ assert_rc 3 && assert_file_has_content "$TEST_TMP/err" "^backport bisect: predicate 'run' skipped" \
    && [ "$(grep -c '^backport bisect' "$TEST_TMP/err")" -eq 1 ]; } \
    && ok "a predicate that always skips: exit 3, one error line" || not_ok "a predicate that always skips: exit 3, one error line"
bp bisect --repo "$R" --good "$first" --bad main
{ assert_rc 3 && assert_file_has_content "$TEST_TMP/err" "^backport bisect: predicate 'repro' skipped.*no file under hw/vfio defines vfio_container_dma_map" \
    && [ "$(grep -c '^backport bisect' "$TEST_TMP/err")" -eq 1 ]; } \
    && ok "default predicate on a history without QEMU's vfio code: exit 3, says why" || not_ok "default predicate on a history without QEMU's vfio code: exit 3, says why"
bp bisect --repo "$R" --good "$first" --bad main --run 'exit 200'
{ assert_rc 3 && assert_stderr "exit code 200" && [ -z "$(ls -A "$TMPDIR")" ]; } \
    && ok "run exit 200 aborts: exit 3, checkout removed" || not_ok "run exit 200 aborts: exit 3, checkout removed"
bp bisect --repo "$R" --good "$first" --predicate content --path a --pattern b
{ assert_rc 2 && assert_one_line_error "give --bad"; } && ok "missing --bad: usage, exit 2" || not_ok "missing --bad: usage, exit 2"
bp bisect --repo "$R" --good "$first" --bad main --predicate content --path a
{ assert_rc 2 && assert_one_line_error "needs --path P and --pattern"; } && ok "content without --pattern: exit 2" || not_ok "content without --pattern: exit 2"
bp bisect --repo "$TEST_TMP/nowhere" --good a --bad b
{ assert_rc 3 && assert_one_line_error "not a git repository"; } && ok "--repo not a repository: exit 3" || not_ok "--repo not a repository: exit 3"

# ---- repro predicate on real QEMU files -----------------------------------
OLD=$TEST_TMP/qemu-10.0.13 NEW=$TEST_TMP/qemu-10.2.2
if sh "$FIXTURES/debian-source.sh" 10.0.13 "$OLD" --shared 2>"$TEST_TMP/why" \
    && sh "$FIXTURES/debian-source.sh" 10.2.2 "$NEW" --shared 2>"$TEST_TMP/why"; then
    R=$TEST_TMP/vfio
    git init -q -b main "$R"
    mkdir -p "$R/hw/vfio"
    cp "$OLD/hw/vfio/container-base.c" "$OLD/hw/vfio/container.c" "$R/hw/vfio/"
    git -C "$R" add -A && git -C "$R" commit -qm "10.0 layout"
    g=$(git -C "$R" rev-parse HEAD)
    for i in 1 2 3 4 5 6; do echo "$i" >"$R/noise"; git -C "$R" add -A; git -C "$R" commit -qm "noise $i"; done
    git -C "$R" rm -q hw/vfio/container.c hw/vfio/container-base.c
    mkdir -p "$R/hw/vfio"
    cp "$NEW/hw/vfio/container.c" "$R/hw/vfio/container.c"
    cp "$NEW/hw/vfio/container-legacy.c" "$R/hw/vfio/container-legacy.c" 2>/dev/null || true
    git -C "$R" add -A && git -C "$R" commit -qm "10.2 layout: by-file mapping"
    culprit=$(git -C "$R" rev-parse HEAD)
    for i in 7 8 9; do echo "$i" >"$R/noise"; git -C "$R" add -A; git -C "$R" commit -qm "noise $i"; done
    bp bisect --repo "$R" --good "$g" --bad main
    if [ "$rc" -eq 3 ] && grep -q 'to compile the tree.s decision' "$TEST_TMP/err"; then
        skip "repro predicate: no C compiler to compile the trees' decisions"
    else
        { assert_rc 0 && assert_stdout "^$culprit is the first bad commit" && assert_stdout "evidence: bad: private RAM mapped by file .*hw/vfio/container.c"; } \
            && ok "repro (default) predicate: finds the layout change, file found by definition" \
            || not_ok "repro (default) predicate: finds the layout change, file found by definition"
    fi
else
    skip "repro predicate: $(tail -n 1 "$TEST_TMP/why")"
fi

# ---- interrupted: the command's process group dies, the scratch tree goes -------
R=$TEST_TMP/sig
git init -q -b main "$R"
for i in 1 2 3 4 5 6; do echo "$i" >"$R/f"; git -C "$R" add f; git -C "$R" -c user.name=T -c user.email=t@example.org commit -qm "c$i"; done
sigtmp=$TEST_TMP/sigtmp; mkdir -p "$sigtmp"
TMPDIR=$sigtmp "$BACKPORT" bisect --repo "$R" --good main~5 --bad main --predicate run \
    --run "echo \$\$ >>'$TEST_TMP/sig.pids'; exec sleep 30" >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
bgpid=$!
i=0; while [ ! -s "$TEST_TMP/sig.pids" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $bgpid
rc=0; wait $bgpid || rc=$?
sleep 0.3
cmdpid=$(head -n 1 "$TEST_TMP/sig.pids" 2>/dev/null || echo 0)
{ [ "$rc" -eq 130 ] && assert_stderr 'interrupted by signal 2' && [ "$cmdpid" -gt 0 ] && ! kill -0 "$cmdpid" 2>/dev/null \
    && [ -z "$(ls -A "$sigtmp")" ]; } \
    && ok "SIGINT during a run step: exit 130, the command killed, the scratch tree removed" \
    || { diag "exit $rc, command $cmdpid alive: $(kill -0 "$cmdpid" 2>/dev/null && echo yes || echo no), left: $(ls -A "$sigtmp")"; \
         not_ok "SIGINT during a run step: exit 130, the command killed, the scratch tree removed"; }

finish
