# backport check: compile a series with the tree's own build, before and after.
# Part 1 runs everywhere: a tiny meson project and a test-only fix pack, plus
# fake QEMU trees for the error paths (no build system, missing subprojects,
# missing packages, deadline, ^C).  Part 2 runs on Debian's qemu 10.2.2
# source when it can be had and meson >= 1.5 is installed; its build
# directory is cached under $BP_TEST_CACHE so the plain and sanitizer runs
# (and later runs) configure QEMU once.
. "$(dirname "$0")/libtest.sh"
plan 29

# Shared with debian-source.sh; the default work dirs go to a private place.
cache="${BP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backport-tests}"
export BP_TEST_CACHE="$cache"
export XDG_CACHE_HOME="$TEST_TMP/xdg-cache"

# Progress goes to stderr too: the error is its last line, and only one.
assert_error() {
    n=$(grep -c '^backport check: ' "$TEST_TMP/err")
    if [ "$n" -ne 1 ] || ! tail -n 1 "$TEST_TMP/err" | grep -q -e "^backport check: .*$1"; then
        diag "stderr does not end with one error line /$1/:"; sed 's/^/#   /' "$TEST_TMP/err" >&2; return 1
    fi
}
# A process is gone when it is dead or a zombie nobody reaped yet.
alive() {
    [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat" 2>/dev/null
}

# ---------------------------------------------------------------- fixtures
# make_tree DIR: a meson C project whose hello.c the test pack patches.
make_tree() {
    mkdir -p "$1"
    cat >"$1/meson.build" <<'EOF'
project('hello', 'c')
executable('hello', 'hello.c', 'util.c')
EOF
    printf 'int util_add(int a, int b);\n' >"$1/util.h"
    printf '#include "util.h"\nint util_add(int a, int b) { return a + b; }\n' >"$1/util.c"
    cat >"$1/hello.c" <<'EOF'
#include <stdio.h>
#include "util.h"

int main(void)
{
  int sum = 1 + 2;
  printf("%d\n", sum);
  return 0;
}
EOF
    echo 1.0.0 >"$1/VERSION"
}

# make_patch FILE NEWLINE: a format-patch mail replacing the sum line.
make_patch() {
    cat >"$1" <<EOF
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Test Author <test@example.org>
Date: Mon, 1 Jan 2024 00:00:00 +0000
Subject: [PATCH] hello: add with util_add

Signed-off-by: Test Author <test@example.org>
---
 hello.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/hello.c b/hello.c
--- a/hello.c
+++ b/hello.c
@@ -3,7 +3,7 @@
 
 int main(void)
 {
-  int sum = 1 + 2;
+$2
   printf("%d\n", sum);
   return 0;
 }
-- 
2.39.5
EOF
}

# A test-only pack: line 1.0 is right, 1.1 misspells the helper, 1.2 is not C.
packs="$TEST_TMP/packs"
pack="$packs/hello"
mkdir -p "$pack/1.0" "$pack/1.1" "$pack/1.2"
cat >"$pack/fix.ini" <<'EOF'
[fix]
version=1
subject=hello: add with util_add
author=Test Author <test@example.org>
date=Mon, 1 Jan 2024 00:00:00 +0000
culprit=0123456789abcdef0123456789abcdef01234567
function=main
helper=util_add

[line 1.2]
verdict=affected
file=hello.c
api=10.2
base=test tree

[line 1.1]
verdict=affected
file=hello.c
api=10.2
base=test tree

[line 1.0]
verdict=affected
file=hello.c
api=10.2
base=test tree
EOF
make_patch "$pack/1.0/0001-hello.patch" '  int sum = util_add(1, 2);'
make_patch "$pack/1.1/0001-hello.patch" '  int sum = util_ad(1, 2);'
make_patch "$pack/1.2/0001-hello.patch" '  int sum = util_add(1, 2)'
for l in 1.0 1.1 1.2; do echo 0001-hello.patch >"$pack/$l/series"; done

tree="$TEST_TMP/tree"
make_tree "$tree"
stamp="$TEST_TMP/stamp"
sleep 1; touch "$stamp"; sleep 1
work="$TEST_TMP/work"

# ---------------------------------------------------------------- part 1
export BACKPORT_PACKS="$packs"

bp check 1.0 --tree "$tree" --build-dir "$work"
{ assert_rc 0 && assert_stdout '^hello.c  *ok  *ok  *hello.p/hello.c.o' \
  && assert_stdout 'result: the series compiles' && assert_stderr 'configuring' \
  && assert_stderr 'compiling 1 of 2: hello.c (before the series)'; } \
  && ok "a series that compiles: exit 0, before and after ok, progress on stderr" \
  || not_ok "a series that compiles: exit 0, before and after ok, progress on stderr"

bp check 1.0 --tree "$tree" --build-dir "$work" --json
{ assert_rc 0 && assert_stdout '"verdict" : "compiles"' && assert_stdout '"ran" : false' \
  && assert_stdout '"status" : "ok"' && assert_stderr 'reusing the configured build'; } \
  && ok "second run reuses the build dir; --json" || not_ok "second run reuses the build dir; --json"

bp check 1.1 --tree "$tree" --build-dir "$work"
{ assert_rc 1 && assert_stdout '^hello.c  *ok  *warnings' \
  && assert_stdout "implicit declaration of function 'util_ad'" \
  && assert_stdout '^hello.c:6:13: warning' \
  && assert_error 'line 1.1: the series breaks the build: hello.c gains'; } \
  && ok "misspelt helper: exit 1 with the compiler's warning, tree-relative paths" \
  || not_ok "misspelt helper: exit 1 with the compiler's warning, tree-relative paths"

bp check 1.2 --tree "$tree" --build-dir "$work"
{ assert_rc 1 && assert_stdout '^hello.c  *ok  *error' && assert_stdout "error: expected" \
  && assert_error 'compiles before the series and fails with it'; } \
  && ok "a series that does not compile: exit 1, 'the series breaks it'" \
  || not_ok "a series that does not compile: exit 1, 'the series breaks it'"

grep -q '1 + 2;' "$work/src/hello.c" && bp check 1.0 --tree "$tree" --build-dir "$work"
{ assert_rc 0 && assert_stdout '^hello.c  *ok  *ok'; } \
  && ok "after a broken series the scratch copy is clean again" \
  || not_ok "after a broken series the scratch copy is clean again"

bp check 1.0 --tree "$tree" --build-dir "$work" --keep
{ assert_rc 0 && assert_stdout "^kept: patched copy in $work/src" && grep -q 'util_add(1, 2);' "$work/src/hello.c" \
  && ls "$work/objects" | grep -q 'hello.c.o.after.o'; } \
  && ok "--keep leaves the patched copy and the objects" || not_ok "--keep leaves the patched copy and the objects"

if [ -z "$(find "$tree" -newer "$stamp")" ] && grep -q '1 + 2' "$tree/hello.c"; then
    ok "the user's tree was never written"
else
    diag "changed:" "$(find "$tree" -newer "$stamp")"; not_ok "the user's tree was never written"
fi

broken="$TEST_TMP/broken"
make_tree "$broken"
printf 'int broken(void) { return }\n' >>"$broken/hello.c"
bp check 1.0 --tree "$broken" --build-dir "$TEST_TMP/work-broken"
{ assert_rc 3 && assert_stdout '^hello.c  *error' && assert_stdout "^hello.c:10:[0-9]*: error: expected expression" \
  && assert_not_file_has_content "$TEST_TMP/out" 'bp-before' \
  && assert_error 'already broken before the series: hello.c does not compile unpatched'; } \
  && ok "a tree broken before the series: exit 3, attributed to the tree" \
  || not_ok "a tree broken before the series: exit 3, attributed to the tree"

other="$TEST_TMP/other"
make_tree "$other"
sed -i 's/1 + 2/40 + 2/' "$other/hello.c"
bp check 1.0 --tree "$other" --build-dir "$TEST_TMP/work-other"
{ assert_rc 1 && assert_error 'the series does not apply' && assert_not_file_has_content "$TEST_TMP/err" 'configuring'; } \
  && ok "a series that does not apply: exit 1 before configuring" \
  || not_ok "a series that does not apply: exit 1 before configuring"

tree2="$TEST_TMP/tree2"
make_tree "$tree2"
bp check --all --tree-for "1.0=$tree" --tree-for "1.1=$tree2" --build-dir "$TEST_TMP/work-all" --jobs 2
{ assert_rc 1 && assert_stdout '^1\.0  *compiles' && assert_stdout '^1\.1  *series-breaks-build' \
  && assert_stderr 'check 1.0' && assert_stderr 'check 1.1' \
  && assert_error '1 of 2 lines break the build'; } \
  && ok "--all: two lines in parallel, a summary table, exit 1" \
  || not_ok "--all: two lines in parallel, a summary table, exit 1"

gen="$TEST_TMP/gen"
make_tree "$gen"
cat >"$gen/meson.build" <<'EOF'
project('hello', 'c')
gen = custom_target('gen', output : 'gen.h', command : ['sh', '-c', 'echo "#define GEN 1" >@OUTPUT@'])
unused = custom_target('unused', output : 'unused.h', command : ['sh', '-c', 'echo "#define UNUSED 1" >@OUTPUT@'])
executable('hello', 'hello.c', 'util.c', gen, unused)
EOF
sed -i '1i #include "gen.h"' "$gen/hello.c"
bp check 1.0 --tree "$gen" --build-dir "$TEST_TMP/work-gen"
{ assert_rc 0 && assert_stdout '^hello.c  *ok  *ok' && assert_stderr 'generating 1 header the objects include' \
  && [ -f "$TEST_TMP/work-gen/build/gen.h" ] && [ ! -e "$TEST_TMP/work-gen/build/unused.h" ]; } \
  && ok "generates only the headers the object includes" || not_ok "generates only the headers the object includes"

bp check --tree "$tree" --build-dir "$work"
{ assert_rc 0 && assert_stdout '^== line 1.0: '; } \
  && ok "no LINE: the line serving the tree's VERSION" || not_ok "no LINE: the line serving the tree's VERSION"

bp check 1.0 --tree "$tree"
{ assert_rc 0 && [ -d "$XDG_CACHE_HOME/backport/build" ] \
  && ls "$XDG_CACHE_HOME/backport/build" | grep -q '^1\.0\.0-[0-9a-f]\{12\}$'; } \
  && ok "default work dir: \$XDG_CACHE_HOME/backport/build/<VERSION>-<hash>" \
  || not_ok "default work dir: \$XDG_CACHE_HOME/backport/build/<VERSION>-<hash>"

intree="$TEST_TMP/intree"
make_tree "$intree"
mkdir -p "$intree/mybuild/meson-private" "$intree/.git"
echo junk >"$intree/mybuild/build.ninja"
bp check 1.0 --tree "$intree" --build-dir "$TEST_TMP/work-intree"
{ assert_rc 0 && [ -f "$TEST_TMP/work-intree/src/hello.c" ] && [ ! -e "$TEST_TMP/work-intree/src/mybuild" ] \
  && [ ! -e "$TEST_TMP/work-intree/src/.git" ]; } \
  && ok "the scratch copy leaves out .git and build directories inside the tree" \
  || not_ok "the scratch copy leaves out .git and build directories inside the tree"

bp check 1.0 --tree "$intree" --build-dir "$intree/mybuild/bp"
{ assert_rc 3 && assert_error 'inside one another: give --build-dir outside the tree'; } \
  && ok "a work directory inside the tree is refused" || not_ok "a work directory inside the tree is refused"

# -- cannot build: one clear line each, exit 3
bp check 1.0 --tree "$TEST_TMP/no-such-tree"
{ assert_rc 3 && assert_error 'no-such-tree is not a directory'; } \
  && ok "missing tree: exit 3, one line" || not_ok "missing tree: exit 3, one line"

plain="$TEST_TMP/plain"
make_tree "$plain"
rm "$plain/meson.build"
bp check 1.0 --tree "$plain" --build-dir "$TEST_TMP/work-plain"
{ assert_rc 3 && assert_error 'has no build system'; } \
  && ok "no build system: exit 3, one line" || not_ok "no build system: exit 3, one line"

# make_fake_qemu DIR CONFIGURE-BODY: a tree that looks like QEMU to check.
make_fake_qemu() {
    make_tree "$1"
    { printf '#!/bin/sh\nif [ "$1" = --help ]; then echo "Usage: configure [options]"; echo "  --target-list=LIST  x86_64-softmmu"; exit 0; fi\n'
      printf '%s\n' "$2"; } >"$1/configure"
    chmod +x "$1/configure"
}

fq="$TEST_TMP/fake-subprojects"
make_fake_qemu "$fq" 'exit 0'
mkdir -p "$fq/subprojects"
for s in keycodemapdb berkeley-softfloat-3 berkeley-testfloat-3; do echo "[wrap-git]" >"$fq/subprojects/$s.wrap"; done
bp check 1.0 --tree "$fq" --build-dir "$TEST_TMP/work-fq"
{ assert_rc 3 && assert_error 'lacks the subprojects keycodemapdb, berkeley-softfloat-3, berkeley-testfloat-3' \
  && assert_stderr 'meson subprojects download keycodemapdb berkeley-softfloat-3 berkeley-testfloat-3'; } \
  && ok "git-exported QEMU without subprojects: says which and how to get them" \
  || not_ok "git-exported QEMU without subprojects: says which and how to get them"

fd="$TEST_TMP/fake-deps"
make_fake_qemu "$fd" 'echo "Run-time dependency pixman-1 found: NO (tried pkgconfig)"
echo "../meson.build:1263:2: ERROR: Dependency \"pixman-1\" not found, tried pkgconfig"
echo "WARNING: Disabling x86_64-softmmu due to missing libfdt"
echo "../meson.build:3478:2: ERROR: Problem encountered: fdt disabled but required by targets x86_64-softmmu"
exit 1'
bp check 1.0 --tree "$fd" --build-dir "$TEST_TMP/work-fd"
{ assert_rc 3 && assert_error 'needs packages this machine lacks: apt-get install libpixman-1-dev libfdt-dev; log: '; } \
  && ok "missing build deps: the Debian packages to install" \
  || not_ok "missing build deps: the Debian packages to install"

fm="$TEST_TMP/fake-meson"
make_fake_qemu "$fm" 'exit 0'
printf '[meson]\nmeson = { accepted = ">=1.5.0", installed = "1.9.0", canary = "meson" }\n' >"$fm/pythondeps.toml"
mkdir -p "$TEST_TMP/oldbin"
printf '#!/bin/sh\necho 1.0.1\n' >"$TEST_TMP/oldbin/meson"
chmod +x "$TEST_TMP/oldbin/meson"
PATH="$TEST_TMP/oldbin:$PATH" bp check 1.0 --tree "$fm" --build-dir "$TEST_TMP/work-fm"
{ assert_rc 3 && assert_error 'needs meson >= 1.5.0, this machine has 1.0.1: '; } \
  && ok "meson older than the tree's pythondeps.toml asks: said before configuring" \
  || not_ok "meson older than the tree's pythondeps.toml asks: said before configuring"

ff="$TEST_TMP/fake-fail"
make_fake_qemu "$ff" 'echo "ERROR: something else went wrong"; exit 1'
bp check 1.0 --tree "$ff" --build-dir "$TEST_TMP/work-ff"
{ assert_rc 3 && assert_error 'configure of .* failed (exit 1): ERROR: something else went wrong; log: .*configure.log'; } \
  && ok "configure failure: exit 3, its error and the log" || not_ok "configure failure: exit 3, its error and the log"

# A configure that hangs with a child: the deadline kills the whole group.
fs="$TEST_TMP/fake-slow"
make_fake_qemu "$fs" 'sleep 300 & echo $! >"$BP_TEST_PIDFILE"; wait'
export BP_TEST_PIDFILE="$TEST_TMP/slow.pid"
start=$(date +%s)
bp check 1.0 --tree "$fs" --build-dir "$TEST_TMP/work-fs" --timeout 2
took=$(( $(date +%s) - start ))
pid=$(cat "$BP_TEST_PIDFILE" 2>/dev/null || echo 0)
{ assert_rc 3 && assert_error 'configure of .* ran past its deadline of 2 s and was killed' \
  && [ "$took" -lt 20 ] && [ "$pid" -gt 0 ] && ! alive "$pid"; } \
  && ok "deadline: configure and its children killed as a group (${took} s)" \
  || { diag "took $took s, child $pid alive: $(alive "$pid" && echo yes || echo no)"; not_ok "deadline: configure and its children killed as a group"; }

rm -f "$BP_TEST_PIDFILE"
rc=0
"$BACKPORT" check 1.0 --tree "$fs" --build-dir "$TEST_TMP/work-fs" >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
bgpid=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ -s "$BP_TEST_PIDFILE" ] && break; sleep 0.5; done
kill -INT "$bgpid"
wait "$bgpid" || rc=$?
pid=$(cat "$BP_TEST_PIDFILE" 2>/dev/null || echo 0)
sleep 0.5
# every command: an interrupt ends with 128 + the signal, after cleaning up
{ assert_rc 130 && assert_stderr 'interrupted by signal 2' && [ "$pid" -gt 0 ] && ! alive "$pid"; } \
  && ok "SIGINT stops the build and its children, exit 130" || not_ok "SIGINT stops the build and its children, exit 130"
unset BP_TEST_PIDFILE

# ---------------------------------------------------------------- part 2
unset BACKPORT_PACKS
qemu_skip=
meson_version=$(meson --version 2>/dev/null || echo 0)
if [ "$(printf '%s\n1.5.0\n' "$meson_version" | sort -V | head -n 1)" != 1.5.0 ]; then
    qemu_skip="meson $meson_version < 1.5 (QEMU 10.2 needs it: tools/install-deps.sh installs it from bookworm-backports)"
fi
qtree="$TEST_TMP/qemu-10.2.2"
if [ -z "$qemu_skip" ]; then
    src_rc=0
    sh "$FIXTURES/debian-source.sh" 10.2.2 "$qtree" --shared 2>"$TEST_TMP/src.err" || src_rc=$?
    [ "$src_rc" -eq 0 ] || qemu_skip="Debian qemu 10.2.2 source not available: $(cat "$TEST_TMP/src.err")"
fi
qwork="$cache/check/qemu-10.2.2"
if [ -z "$qemu_skip" ]; then
    touch "$stamp"; sleep 1
    start=$(date +%s)
    bp check 10.2 --tree "$qtree" --build-dir "$qwork" --jobs 2
    took=$(( $(date +%s) - start ))
    diag "10.2 series on Debian 10.2.2: $took s"
    if [ "$rc" -eq 3 ] && grep -q 'needs\|lacks' "$TEST_TMP/err"; then
        qemu_skip="this machine cannot build QEMU: $(cat "$TEST_TMP/err")"
    fi
fi
if [ -n "$qemu_skip" ]; then
    for n in 1 2 3 4 5 6; do skip "$qemu_skip"; done
    finish
fi

{ assert_rc 0 && assert_stdout 'result: the series compiles'; } \
  && ok "Debian 10.2.2: the 10.2 series compiles" || not_ok "Debian 10.2.2: the 10.2 series compiles"
{ assert_stdout '^hw/vfio/container.c  *ok  *ok  *libqemu-x86_64-softmmu.a.p/hw_vfio_container.c.o'; } \
  && ok "Debian 10.2.2: the untouched tree's hw/vfio/container.c object compiles" \
  || not_ok "Debian 10.2.2: the untouched tree's hw/vfio/container.c object compiles"

start=$(date +%s)
bp check 10.2 --tree "$qtree" --build-dir "$qwork" --jobs 2 --json
took=$(( $(date +%s) - start ))
diag "warm run: $took s"
{ assert_rc 0 && assert_stdout '"ran" : false' && assert_stdout '"verdict" : "compiles"' && [ "$took" -lt 30 ]; } \
  && ok "Debian 10.2.2: a second run reuses the build ($took s)" || not_ok "Debian 10.2.2: a second run reuses the build"

# The same series with the helper's call misspelt, in a test-only pack.
qpacks="$TEST_TMP/qpacks"
mkdir -p "$qpacks"
cp -r "$BP_SOURCE_DIR/patches/vfio-map-file-private" "$qpacks/"
sed -i 's/^+    if (vfio_container_can_dma_map_file(/+    if (vfio_container_can_dma_map_fiel(/' \
    "$qpacks"/vfio-map-file-private/10.2/*.patch
grep -q 'dma_map_fiel(' "$qpacks"/vfio-map-file-private/10.2/*.patch || diag "sed did not misspell the call"
BACKPORT_PACKS="$qpacks" bp check 10.2 --tree "$qtree" --build-dir "$qwork" --jobs 2
{ assert_rc 1 && assert_stdout "implicit declaration of function 'vfio_container_can_dma_map_fiel'" \
  && assert_stdout '^hw/vfio/container.c:[0-9]*:[0-9]*: warning' \
  && assert_error 'the series breaks the build: hw/vfio/container.c'; } \
  && ok "Debian 10.2.2: a misspelt helper call fails with the compiler's message, exit 1" \
  || not_ok "Debian 10.2.2: a misspelt helper call fails with the compiler's message, exit 1"

bp check 10.2 --tree "$qtree" --build-dir "$qwork" --jobs 2
{ assert_rc 0 && assert_stdout '^hw/vfio/container.c  *ok  *ok'; } \
  && ok "Debian 10.2.2: the right series compiles again after the broken one" \
  || not_ok "Debian 10.2.2: the right series compiles again after the broken one"

if [ -z "$(find "$qtree/" -newer "$stamp" 2>/dev/null | head -n 1)" ]; then
    ok "Debian 10.2.2: the source tree was never written"
else
    diag "changed: $(find "$qtree/" -newer "$stamp" | head)"; not_ok "Debian 10.2.2: the source tree was never written"
fi
finish
