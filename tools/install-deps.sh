#!/bin/sh
# Install everything backport needs to build and to run its tests, on Debian 12
# (or newer).  Run as root.  Safe to run again.
set -e
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: run as root (sudo sh $0)" >&2
    exit 3
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
    build-essential meson ninja-build pkg-config git ca-certificates \
    libgit2-dev libglib2.0-dev libjson-glib-dev libgmime-3.0-dev \
    quilt patch dpkg-dev xz-utils jq time bc \
    clang libclang-rt-14-dev

# `backport check` builds QEMU trees with their own build: QEMU 10.1+ needs
# meson >= 1.5 (Debian 12 has 1.0.1; bookworm-backports has 1.7), python3,
# libfdt for x86_64-softmmu.  Our own build works with either meson.
. /etc/os-release
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
    if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        # the mirror this machine already uses for bookworm (not security)
        uri=$(awk '
            /^[ \t]*$/ { if (u != "" && s ~ /(^| )bookworm( |$)/) { print u; exit } u = ""; s = ""; next }
            /^URIs:/ { u = $2 } /^Suites:/ { $1 = ""; s = $0 " " }
            END { if (u != "" && s ~ /(^| )bookworm( |$)/) print u }' \
            /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
        [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
        if [ -z "$uri" ]; then
            echo "install-deps: no bookworm entry in /etc/apt to take a mirror from; add bookworm-backports yourself" >&2
            exit 3
        fi
        echo "deb $uri bookworm-backports main" >/etc/apt/sources.list.d/bookworm-backports.list
        apt-get update -q
    fi
    apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends -t bookworm-backports meson
fi
apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends \
    python3 python3-venv libfdt-dev libglib2.0-dev ninja-build
