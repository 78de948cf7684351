#!/usr/bin/env bash
# Copy the front end the book serves itself from the pinned npm packages:
# MathJax 3 into book/_vendor/static (a Sphinx static path), and the
# widget manager with require.js, anywidget and our loader into
# book/_vendor/extra/widgets (an extra path: copied as is, and loaded
# only by pages that show widgets). Without npm, say so in one line and
# let the book use the CDNs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: the book will load MathJax and widgets from CDNs"
    rm -rf book/_vendor
    exit 0
fi
if [ ! -f node_modules/anywidget/dist/index.js ] \
        || [ ! -f node_modules/axe-core/axe.min.js ] \
        || [ package-lock.json -nt node_modules ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
rm -rf book/_vendor
mkdir -p book/_vendor/static book/_vendor/extra/widgets
cp -r node_modules/mathjax/es5 book/_vendor/static/mathjax
widgets=book/_vendor/extra/widgets
manager=node_modules/@jupyter-widgets/html-manager/dist
cp "$manager"/embed-amd.js "$widgets"/
# Each widget module asks for the icon fonts beside its own URL, which
# require.js makes from the base URL and the module's name: for
# @jupyter-widgets/base (and controls) and for the manager itself.
for fonts in "$widgets"/@jupyter-widgets \
             "$widgets"/@jupyter-widgets/html-manager/dist; do
    mkdir -p "$fonts"
    cp "$manager"/*.woff* "$manager"/*.ttf "$manager"/*.eot \
       "$manager"/*.svg "$fonts"/
done
cp node_modules/requirejs/require.js "$widgets"/
cp node_modules/anywidget/dist/index.js "$widgets"/anywidget.js
cp book/_widgets/jacolib-widgets.js "$widgets"/
