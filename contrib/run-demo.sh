#!/bin/sh
# Builds notifilter in _build-demo/ (out of tree, so the source stays clean for
# tests/run-all.sh) and runs the demo: a throwaway Postfix on loopback with
# notifilter as its milter. Run as root after contrib/install-deps.sh.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
[ -x configure ] || autoreconf -fi
mkdir -p _build-demo
cd _build-demo
[ -f Makefile ] || "$top/configure" -q
make -s -j"$(nproc 2>/dev/null || echo 2)"
exec make -s demo
