#!/usr/bin/env bash
# Headless Chromium and its driver for the browser tests (Debian packages).
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
        echo "The browser tests need Debian's chromium and chromium-driver:" \
             "install them as root (apt-get install chromium chromium-driver)." >&2
        exit 1
    fi
    SUDO=sudo
fi
echo "Installing chromium and chromium-driver for the browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    chromium chromium-driver >/dev/null
