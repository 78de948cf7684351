"""The reader's book beyond the chapters: the reproducibility appendix
(built from the notebooks' records of their stored runs), every internal
link and anchor, and `make pdf`'s printing."""

import re
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from conftest import HTML
from notebook_checks import ROOT, chapter_notebooks

sys.path.insert(0, str(ROOT / "tools"))
from execute_notebooks import merge_streams  # noqa: E402


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_every_chapter_records_its_stored_run(path):
    record = nbformat.read(path, as_version=4).metadata.get(
        "jacolib_execution")
    assert record is not None, f"{path.name}: run `make execute`"
    assert record["seconds"] > 0  # the budget itself: make bench
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", record["date"])
    assert {"torch", "numpy", "matplotlib"} <= set(record["packages"])


def test_consecutive_prints_are_stored_as_one_output():
    # How the kernel splits a cell's prints into messages depends on
    # timing; the stored notebook must not.
    stream = nbformat.v4.new_output
    outputs = [stream("stream", name="stdout", text="a\n"),
               stream("stream", name="stdout", text="b\n"),
               stream("stream", name="stderr", text="warn\n"),
               stream("stream", name="stdout", text="c\n")]
    merged = merge_streams(outputs)
    assert [(o.name, o.text) for o in merged] == [
        ("stdout", "a\nb\n"), ("stderr", "warn\n"), ("stdout", "c\n")]


def test_reproducibility_page_tables_every_chapter_and_pin(built_book):
    page = (HTML / "book" / "reproducibility.html").read_text()
    for path in chapter_notebooks():
        record = nbformat.read(path, as_version=4).metadata[
            "jacolib_execution"]
        row = re.search(rf"<td><p>{path.stem}</p></td>\s*"
                        rf"<td><p>([\d.]+)</p></td>", page)
        assert row, f"no row for {path.stem}"
        assert float(row.group(1)) == record["seconds"]
    pins = [line.split("==") for line in
            (ROOT / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")]
    for name, version in pins:
        assert re.search(rf"<td><p>{re.escape(name)}</p></td>\s*"
                         rf"<td><p>{re.escape(version)}</p></td>", page), name
    assert "not installed" not in page


class _Anchors(HTMLParser):
    """The link targets and the ids of one HTML page."""

    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


def _parsed(path, cache={}):  # noqa: B006 (a cache on purpose)
    if path not in cache:
        parser = _Anchors()
        parser.feed(path.read_text(errors="replace"))
        cache[path] = parser
    return cache[path]


def broken_internal_links(html_root):
    """Every link between the book's own pages whose file or anchor is
    missing, as (page, link)."""
    broken = []
    pages = [path for path in html_root.rglob("*.html")
             if not {"_static", "widgets", "_sources", "_images"}
             & set(path.relative_to(html_root).parts)]
    for page in pages:
        for link in _parsed(page).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("javascript:"):
                continue  # external: `make linkcheck`
            target = (page.parent / unquote(parts.path)).resolve() \
                if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append((str(page.relative_to(html_root)), link))
            elif (parts.fragment and target.suffix == ".html"
                  and unquote(parts.fragment) not in _parsed(target).ids):
                broken.append((str(page.relative_to(html_root)), link))
    return broken


def test_every_internal_link_and_anchor_resolves(built_book):
    assert built_book.returncode == 0, built_book.log[-2000:]
    assert broken_internal_links(HTML) == []


def test_the_link_check_finds_a_broken_anchor_and_file(tmp_path):
    (tmp_path / "a.html").write_text(
        '<p id="here"><a href="a.html#here">ok</a> <a href="#gone">x</a>'
        ' <a href="b.html">y</a> <a href="https://example.org/">z</a></p>')
    assert broken_internal_links(tmp_path) == [("a.html", "#gone"),
                                               ("a.html", "b.html")]


@pytest.mark.browser
def test_print_pdf_prints_the_one_page_with_its_stylesheet(tmp_path):
    # `make pdf` on a two-part stand-in for the one-page book: the page
    # at book/intro.html with its stylesheet at the root's _static/, as
    # Sphinx's singlehtml builder writes them.
    import pypdfium2
    from print_pdf import print_to_pdf

    (tmp_path / "book").mkdir()
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "print.css").write_text(
        "@media print { nav { display: none } }")
    (tmp_path / "book" / "intro.html").write_text(
        '<html><head><link rel="stylesheet" href="_static/print.css">'
        "</head><body><nav>NAVIGATION</nav><h1>Jacobians</h1>"
        + "<p>page text</p>" * 80 + '<p style="break-before: page">'
        "second page</p></body></html>")
    pdf = pypdfium2.PdfDocument(print_to_pdf(tmp_path,
                                             tmp_path / "out.pdf"))
    text = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    assert len(text) >= 2
    assert "Jacobians" in text[0] and "second page" in text[-1]
    assert not any("NAVIGATION" in page for page in text)


def glossary_terms():
    """The terms of book/glossary.md, as written."""
    text = (ROOT / "book" / "glossary.md").read_text()
    block = text.split("```{glossary}")[1].split("```")[0]
    return [line.strip() for line in block.splitlines()
            if line.strip() and not line.startswith(" ")]


def test_every_glossary_term_is_linked_from_a_chapter():
    linked = set()
    for path in chapter_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            for target in re.findall(r"\{term\}`([^`]*)`", cell.source):
                name = re.search(r"<([^>]*)>$", target)
                linked.add((name.group(1) if name else target).lower())
    terms = glossary_terms()
    assert len(terms) >= 20
    # A term with an abbreviation (JVP) on the next line is one entry
    # of two names: a link to either counts.
    entries = []
    for term in terms:
        if term.isupper() and entries:
            entries[-1].add(term.lower())
        else:
            entries.append({term.lower()})
    assert [entry for entry in entries if not entry & linked] == []
