#!/bin/sh
# Makes sure Debian's Chromium is at /usr/bin/chromium, for the browser test of
# the Temporal Web UI (test/integration/web-ui.test.ts drives it with
# playwright-core, which never downloads a browser of its own).
#
# Quiet and quick when Chromium is already there; otherwise installs the Debian
# package `chromium` with apt-get (as root), printing what it does on stderr.
# Exits non-zero, saying why, when it cannot install it.
set -eu

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

say() { echo "[ensure-chromium] $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "$CHROMIUM is missing and this is not root, so it cannot be installed here."
  say "Install it once with: sudo apt-get update && sudo apt-get install -y chromium"
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  say "$CHROMIUM is missing and there is no apt-get: install Chromium so that $CHROMIUM exists."
  exit 1
fi

say "$CHROMIUM is missing: installing the Debian package chromium (apt-get update && apt-get install -y chromium)"
export DEBIAN_FRONTEND=noninteractive
# apt-get's own output goes to stderr too, so a caller reading stdout sees nothing.
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium >&2

if [ ! -x "$CHROMIUM" ]; then
  say "apt-get finished but $CHROMIUM is still missing."
  exit 1
fi
say "installed: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
