#!/usr/bin/env bash
# Copy MathJax 3 and the Jupyter widgets HTML manager from the pinned npm
# packages into book/_vendor, which the build serves as static files.
# Without npm, say so in one line and let the book use the CDNs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: the book will load MathJax and widgets from CDNs"
    rm -rf book/_vendor
    exit 0
fi
if [ ! -d node_modules/mathjax ] || [ package-lock.json -nt node_modules ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
rm -rf book/_vendor
mkdir -p book/_vendor/html-manager
cp -r node_modules/mathjax/es5 book/_vendor/mathjax
cp node_modules/@jupyter-widgets/html-manager/dist/embed.js \
   node_modules/@jupyter-widgets/html-manager/dist/*.woff* \
   node_modules/@jupyter-widgets/html-manager/dist/*.ttf \
   node_modules/@jupyter-widgets/html-manager/dist/*.eot \
   node_modules/@jupyter-widgets/html-manager/dist/*.svg \
   book/_vendor/html-manager/
