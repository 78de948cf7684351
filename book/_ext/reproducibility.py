"""The reproducibility appendix, written at build time.

The directive ``{reproducibility} runs`` tables each chapter's stored run
(the record `make execute` leaves in the notebook's metadata: seconds,
date, machine, versions); ``{reproducibility} packages`` tables every
pinned requirement beside the version this build found installed, and
``{reproducibility} build`` says when and with what the page was built.
"""

import datetime
import platform
import re
from importlib import metadata
from pathlib import Path

import nbformat
import yaml
from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def table(header, rows, widths=None):
    """A docutils table with one header row, every cell plain text."""
    group = nodes.tgroup(cols=len(header))
    for width in widths or [1] * len(header):
        group += nodes.colspec(colwidth=width)

    def row_of(cells):
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=str(cell))
            row += entry
        return row

    head = nodes.thead()
    head += row_of(header)
    body = nodes.tbody()
    for cells in rows:
        body += row_of(cells)
    group += head
    group += body
    result = nodes.table(classes=["jacolib-repro"])
    result += group
    return result


def chapter_notebooks():
    """The chapters in the order of the table of contents."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = []

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return [ROOT / f"{name}.ipynb" for name in files
            if (ROOT / f"{name}.ipynb").is_file()]


def run_records():
    """(chapter name, record) for each chapter, in the book's order."""
    records = []
    for path in chapter_notebooks():
        notebook = nbformat.read(path, as_version=4)
        record = notebook.metadata.get("jacolib_execution")
        if record is None:
            logger.warning(f"reproducibility: {path.name} has no record of "
                           "its run; run `make execute`")
            continue
        records.append((path.stem, record))
    return records


def run_nodes():
    records = run_records()
    rows = [[name, f"{record['seconds']:.1f}", record["date"],
             f"{record['processor']}, {record['cores']} cores"]
            for name, record in records]
    result = [table(["chapter", "seconds", "date", "processor"], rows,
                    [20, 7, 10, 20])]
    # The software of the runs, once per distinct combination.
    software = {}
    for name, record in records:
        versions = ", ".join(f"{package} {version}" for package, version
                             in record["packages"].items())
        key = (f"Python {record['python']} on {record['platform']}, "
               f"with {versions}")
        software.setdefault(key, []).append(name)
    for text, names in software.items():
        who = ("Every chapter ran" if len(names) == len(records)
               else ", ".join(names) + " ran")
        result.append(nodes.paragraph(text=f"{who} under {text}."))
    return result


def package_rows():
    rows = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = PIN.match(line.strip())
        if not match:
            continue
        name, pinned = match.groups()
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        rows.append([name, pinned, installed])
    return rows


def build_rows():
    return [
        ["date", datetime.date.today().isoformat()],
        ["machine", f"{platform.system()} {platform.machine()}"],
        ["Python", platform.python_version()],
        ["jupyter-book", metadata.version("jupyter-book")],
        ["Sphinx", metadata.version("sphinx")],
    ]


class Reproducibility(Directive):
    required_arguments = 1

    def run(self):
        kind = self.arguments[0]
        if kind == "runs":
            return run_nodes()
        if kind == "packages":
            return [table(["package", "pinned", "installed in this build"],
                          package_rows())]
        if kind == "build":
            return [table(["setting", "this build"], build_rows(), [1, 3])]
        raise self.error(f"reproducibility: expected runs, packages or "
                         f"build, got {kind!r}")


def always_outdated(app, env, added, changed, removed):
    # The tables read files Sphinx does not track (the notebooks'
    # records, requirements.txt, the installed packages): rebuild the
    # page on every build.
    return [name for name in env.found_docs
            if name.endswith("reproducibility")]


def setup(app):
    app.add_directive("reproducibility", Reproducibility)
    app.connect("env-get-outdated", always_outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
