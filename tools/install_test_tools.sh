#!/usr/bin/env bash
# What `make test` needs beyond Python, from Debian's packages: Chromium
# and its driver for the browser tests, and npm for the offline assets
# (the browser tests check that no request leaves 127.0.0.1).
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
        echo "make test needs Debian's ${missing[*]}: install them as root" \
             "(apt-get install ${missing[*]})." >&2
        exit 1
    fi
    SUDO=sudo
fi
echo "Installing ${missing[*]} for the tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    "${missing[@]}" >/dev/null
