#!/bin/sh
# The shape of the code, checked (DESIGN.md and issue 13): layers that only
# lean downwards, process-wide decisions in main.c, commands that alone
# know flags and exit codes, short functions.  TAP.
#   sh tests/style/check.sh SRC_DIR [BUILD_DIR]
# BUILD_DIR's libbackport.a gives the symbol edges (nm); without it only the
# include edges are checked.
set -u
src=${1:?usage: check.sh SRC_DIR [BUILD_DIR]}
build=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
[ -z "$build" ] || build=$(cd "$build" && pwd)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
diag() { sed 's/^/# /' >&2; }
echo "1..8"
cd "$src" || exit 99

# The layer of a source path: its rank, lowest first.
rank() {
    case $1 in
        base/*) echo 1 ;; model/*) echo 2 ;; sources/*) echo 3 ;; engines/*) echo 4 ;;
        report/*) echo 5 ;; verify/*) echo 6 ;; cli/*|main.c) echo 7 ;; *) echo 0 ;;
    esac
}
# The module of a path: a folder under engines/, else the file's stem; a
# NAME-private.h and NAME-PART.c of NAME's are NAME's own.
module() {
    case $1 in
        engines/*/*) echo "$1" | cut -d/ -f1-2 ;;
        *-private.h) echo "${1%-private.h}" ;;
        *) echo "${1%.*}" ;;
    esac
}
files=$(find . -name '*.[ch]' | sed 's|^\./||' | sort)

# 1. includes: no edge up a layer, no cycle between modules


edges=$(mktemp) bad=$(mktemp)
trap 'rm -f "$edges" "$bad"' EXIT
for f in $files; do
    rf=$(rank "$f") mf=$(module "$f")
    sed -n 's/^#include "\([a-z]*\/[^"]*\)".*/\1/p' "$f" | while read -r inc; do
        [ -e "$inc" ] || continue
        ri=$(rank "$inc")
        [ "$ri" -gt "$rf" ] && echo "$f includes $inc (layer $ri above $rf)" >>"$bad"
        mi=$(module "$inc")
        [ "$mi" != "$mf" ] && echo "$mf $mi" >>"$edges"
    done
done
if [ -s "$bad" ]; then diag <"$bad"; not_ok "no include points up a layer"; else ok "no include points up a layer"; fi
: >"$bad"
# tsort names a loop when there is one
sort -u "$edges" | tsort >/dev/null 2>"$bad"
if grep -q loop "$bad"; then diag <"$bad"; not_ok "no include cycle between modules"; else ok "no include cycle between modules"; fi

# 2. symbols: an object of the library uses no symbol an upper layer defines
if [ -n "$build" ] && [ -f "$build/src/libbackport.a" ] && command -v nm >/dev/null; then
    : >"$bad"
    nm -A "$build/src/libbackport.a" 2>/dev/null | awk '
        { split($1, p, ":"); obj = p[2]; sub(/\.o$/, "", obj); sub(/^.*libbackport\.a\.p\//, "", obj) }
        $2 ~ /^[TDBR]$/ { def[$3] = obj }
        $2 == "U" { use[obj] = use[obj] " " $3 }
        END { for (o in use) { n = split(use[o], s, " "); for (i = 1; i <= n; i++) if (s[i] in def) print o, def[s[i]], s[i] } }' |
    while read -r user definer sym; do
        # objects are named like engines_pick_pick-run.c: back to a path
        uf=$(echo "$user" | sed 's/_/\//; s/_/\//') df=$(echo "$definer" | sed 's/_/\//; s/_/\//')
        ru=$(rank "$uf") rd=$(rank "$df")
        [ "$ru" -gt 0 ] && [ "$rd" -gt "$ru" ] && echo "$user uses $sym from $definer" >>"$bad"
    done
    if [ -s "$bad" ]; then diag <"$bad"; not_ok "no symbol edge points up a layer"; else ok "no symbol edge points up a layer"; fi
else
    ok "# SKIP no built libbackport.a to read symbols from"
fi

# 3. flags: no text below cli/ names one of our options (--repo, --tree...):
#    only commands know them.  Other tools' flags (apt-get --download-only)
#    and patch syntax (diff --git) are not ours.  ci-gitlab.c writes a
#    pipeline's command lines; the worker protocol names its entry argument.
: >"$bad"
ours=$(sed -n 's/^ *{ "\([a-z][a-z-]*\)", .*G_OPTION_ARG.*/\1/p' cli/*.c | sort -u | tr '\n' '|' | sed 's/|$//')
for f in $files; do
    # bp-repro-static is a program of its own, with its own options
    case $f in cli/*|main.c|report/ci-gitlab.c|verify/verify-worker.h|engines/repro/tier2-static.c) continue ;; esac
    # a line marked "git's syntax" speaks git's options, not ours; one
    # marked "a command line" writes our command for the user to run again
    grep -nE -- "\"[^\"]*--($ours)([^a-z-][^\"]*)?\"" "$f" | grep -v "git's syntax\|a command line" | sed "s|^|$f:|" >>"$bad"
done
if [ -s "$bad" ]; then diag <"$bad"; not_ok "no --flag text below cli/"; else ok "no --flag text below cli/"; fi

# 4. exit codes: decided in cli/ and main.c only (base/bp-error maps an error to one)
: >"$bad"
for f in $files; do
    case $f in cli/*|main.c|base/bp-error.*) continue ;; esac
    grep -n 'BP_EXIT_\|[^_a-z]exit (\|_exit_code\|_job_exit\|_jobs_exit' "$f" | sed "s|^|$f:|" >>"$bad"
done
if [ -s "$bad" ]; then diag <"$bad"; not_ok "no exit code below cli/"; else ok "no exit code below cli/"; fi

# 5. process-wide decisions in main.c: signals and libgit2's set-up (the
#    reproducer's huge-page cleanup (guest-ram.c, cleanup.c) and the write
#    transaction block signals
#    around what must not be interrupted; base/subprocess.c's child guard,
#    a forked process of its own, resets every handler to the default before
#    it waits; base/bp-git.c initialises libgit2
#    for programs without main.c, the unit tests)
: >"$bad"
for f in $files; do
    case $f in main.c|engines/repro/guest-ram.c|engines/repro/cleanup.c|base/transaction*.c|base/subprocess.c) continue ;; esac
    grep -n 'sigaction\|g_unix_signal_add\|signal (SIG' "$f" | sed "s|^|$f:|" >>"$bad"
    case $f in base/bp-git.c) continue ;; esac
    grep -n 'git_libgit2_init\|git_libgit2_shutdown' "$f" | sed "s|^|$f:|" >>"$bad"
done
if [ -s "$bad" ]; then diag <"$bad"; not_ok "signals and libgit2's set-up only in main.c"; else ok "signals and libgit2's set-up only in main.c"; fi

# 6. no function over 150 lines but the known ones, which may only shrink
: >"$bad"
awk -f "$here/functions.awk" $files | while read -r file fn lines; do
    known=$(awk -v f="$file" -v g="$fn" '$1 == f && $2 == g { print $3 }' "$here/long-functions.txt")
    if [ "$lines" -gt 150 ] && { [ -z "$known" ] || [ "$lines" -gt "$known" ]; }; then
        echo "$file $fn() is $lines lines (limit 150${known:+, known at $known})" >>"$bad"
    elif [ -n "$known" ] && [ "$lines" -lt "$known" ]; then
        echo "$file $fn() shrank to $lines lines: lower its entry in tests/style/long-functions.txt (or drop it)" >>"$bad"
    fi
done
if [ -s "$bad" ]; then diag <"$bad"; not_ok "no function over 150 lines but the known, shrinking ones"; else ok "no function over 150 lines but the known, shrinking ones"; fi
# 7. the ratchet names only functions that are there
: >"$bad"
grep -v '^#' "$here/long-functions.txt" | while read -r file fn lines; do
    [ -n "$file" ] || continue
    awk -f "$here/functions.awk" "$file" 2>/dev/null | awk -v g="$fn" '$2 == g' | grep -q . \
        || echo "$file $fn() is listed but gone: drop it from tests/style/long-functions.txt" >>"$bad"
done
if [ -s "$bad" ]; then diag <"$bad"; not_ok "the list of long functions is current"; else ok "the list of long functions is current"; fi
exit $failed
