#!/usr/bin/env bash
# Install the book's Python packages into the venv, showing pip's
# progress. requirements.txt names PyTorch's CPU index, where
# torch==2.13.0 is the CPU build (about 200 MB) rather than PyPI's build
# with several GB of CUDA libraries. Where that index cannot be reached
# (a mirror, an offline machine), say so and use the configured indexes.
set -euo pipefail
python="$1"
cd "$(dirname "$0")/.."
echo "Installing the book's Python packages into .venv" \
     "(about a minute on a fast connection)..."
requirements=requirements.txt
if ! "$python" -c 'import socket; socket.create_connection(
        ("download.pytorch.org", 443), timeout=5).close()' 2>/dev/null; then
    echo "PyTorch's CPU index (download.pytorch.org) is out of reach:" \
         "torch comes from pip's configured indexes."
    requirements=$(mktemp)
    grep -v '^--extra-index-url' requirements.txt > "$requirements"
fi
# PYTHONWARNINGS: no setuptools banner about the editable install of
# jacolib, which concerns the package's authors, not a reader.
PYTHONWARNINGS=ignore "$python" -m pip install --progress-bar on \
    --disable-pip-version-check -r "$requirements"
