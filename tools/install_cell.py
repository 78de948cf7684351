"""The first code cell of every chapter: install jacolib where it is missing.

Colab opens a chapter straight from GitHub, with numpy, torch, matplotlib
and ipywidgets already there but not this book's package; the cell
installs it from the repository named in _config.yml. Everywhere else
(a venv made by `make`, Binder, a reader who ran `pip install -r
requirements.txt`) jacolib is found and the cell does nothing. The cell
is tagged ``remove-cell``, so the HTML book does not show it.

`make execute` calls ``ensure_install_cell`` on each notebook before
running it, so a new chapter gets the cell and a change of repository
URL reaches every chapter; the tests check that the stored cell is the
one ``install_cell_source`` gives.
"""

from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIRST_LINE = "# On Colab, install this book's helper package first;"
TAGS = ["remove-cell"]
CELL_ID = "install-jacolib"


def repository_url():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"]


def install_cell_source(url=None):
    """The cell's text; ``url`` defaults to _config.yml's repository."""
    return "\n".join([
        FIRST_LINE,
        "# elsewhere (make lab, Binder) it is there and this does nothing.",
        "import importlib.util",
        "",
        f'JACOLIB = "jacolib @ git+{url or repository_url()}"',
        'if importlib.util.find_spec("jacolib") is None:',
        '    %pip install --quiet "{JACOLIB}"',
    ])


def is_install_cell(cell):
    return (cell.cell_type == "code"
            and cell.source.startswith(FIRST_LINE))


def ensure_install_cell(notebook, url=None):
    """Put the current install cell first among the code cells."""
    notebook.cells = [c for c in notebook.cells if not is_install_cell(c)]
    cell = nbformat.v4.new_code_cell(install_cell_source(url))
    cell.id = CELL_ID  # a fixed id: re-running leaves no diff behind
    cell.metadata["tags"] = list(TAGS)
    first_code = next((i for i, c in enumerate(notebook.cells)
                       if c.cell_type == "code"), len(notebook.cells))
    notebook.cells.insert(first_code, cell)
    return notebook
