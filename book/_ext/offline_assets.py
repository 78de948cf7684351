"""Serve MathJax 3 and the widget front end from the book itself, and
keep the pages free of console errors.

`make book` copies them from the pinned npm packages into book/_vendor
(tools/vendor_assets.sh): MathJax into a static path, the widget
manager (embed-amd.js), require.js, anywidget's front end and our
loader (book/_widgets/jacolib-widgets.js) into an extra path, so they
land in _build/html/widgets/ and only pages with widgets load them.
When that folder is missing (no Node/npm), the build keeps the CDN
defaults and says so.
"""

from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR = Path(__file__).resolve().parent.parent / "_vendor"
MATHJAX = "mathjax/tex-chtml-full.js"
WIDGET_FILES = ["require.js", "jacolib-widgets.js", "embed-amd.js"]


def use_local_assets(app, config):
    static, extra = VENDOR / "static", VENDOR / "extra"
    widgets = extra / "widgets"
    needed = [static / MATHJAX, widgets / "anywidget.js",
              *(widgets / name for name in WIDGET_FILES)]
    if not all(path.is_file() for path in needed):
        logger.info("offline assets: book/_vendor missing, so MathJax and "
                    "the widget manager load from CDNs (run `make book` "
                    "with npm to serve them locally)")
        return
    config.html_static_path = [*config.html_static_path, str(static)]
    config.html_extra_path = [*config.html_extra_path, str(extra)]
    # Relative to _static/ (Sphinx's rule for mathjax_path).
    config.mathjax_path = MATHJAX
    # Relative to _static/ too (Sphinx's add_js_file), in this order:
    # myst-nb adds them, after the widget state, to pages with widgets.
    config.nb_ipywidgets_js = {f"../widgets/{name}": {}
                               for name in WIDGET_FILES}
    logger.info("offline assets: MathJax and the widget front end are "
                "served by the book")


def default_to_light_mode(app, config):
    # Without a default the theme logs "invalid theme mode" as an error.
    config.html_context.setdefault("default_mode", "light")


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    # Inline scripts added at env-before-read-docs (sphinx-thebe's config,
    # sphinx-togglebutton's) can come twice, and a second
    # `const THEBE_JS_URL` is a SyntaxError in the browser. Runs last
    # (priority 900) and edits the list in place, which Sphinx reverts
    # after each page.
    scripts = context.get("script_files")
    if scripts is None:
        return
    seen, unique = set(), []
    for script in scripts:
        key = (getattr(script, "filename", script) or "",
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("config-inited", use_local_assets)
    app.connect("config-inited", default_to_light_mode)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
