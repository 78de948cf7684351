"""The book on one page (`make pdf` prints Sphinx's singlehtml build).

Sphinx gives a translator the node handlers registered for its builder's
name and falls back to its format ("html") only when there are none.
sphinx-exercise registers handlers for "singlehtml", so every other
extension's html handlers (myst-nb's hidden cells among them) would be
lost there: share them. And myst-nb adds the widget manager's scripts
to the pages of notebooks with widgets, which the one page is not: add
every chapter's scripts to it.
"""

from myst_nb.sphinx_ import NbMetadataCollector


def share_html_handlers(app):
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node_name, visitors in handlers.get("html", {}).items():
        single.setdefault(node_name, visitors)


def add_every_chapters_scripts(app, pagename, templatename, context,
                               doctree):
    if app.builder.name != "singlehtml":
        return
    scripts = {}
    for docname in sorted(app.env.found_docs):
        files = NbMetadataCollector.get_js_files(app.env, docname)
        for key, (path, options) in files.items():
            scripts.setdefault(key, (path, options))
    for path, options in scripts.values():
        app.add_js_file(path, **options)


def setup(app):
    app.connect("builder-inited", share_html_handlers)
    app.connect("html-page-context", add_every_chapters_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
