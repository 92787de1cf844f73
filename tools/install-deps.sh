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
    quilt patch dpkg-dev xz-utils \
    clang libclang-rt-14-dev \
    time bc
    quilt patch dpkg-dev xz-utils jq \
    clang libclang-rt-14-dev
