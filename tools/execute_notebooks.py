"""Execute notebooks in place on a fresh kernel, storing outputs and
widget state (what `make execute` runs).

    python tools/execute_notebooks.py [book/NN_name.ipynb ...]

With no argument, every notebook in book/. First each notebook gets the
current install cell (tools/install_cell.py). Cells run top to bottom, so
execution counts are 1..N; the notebook's folder is the working
directory, as in JupyterLab.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from install_cell import ensure_install_cell

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_PER_CELL = 300


def execute(path):
    notebook = ensure_install_cell(nbformat.read(path, as_version=4))
    client = NotebookClient(
        notebook, timeout=TIMEOUT_PER_CELL, kernel_name="python3",
        store_widget_state=True,
        # The kernel's notice about its loopback TCP transport is for
        # server operators, not for whoever runs `make execute`.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    # Keep the metadata small and stable: no per-run timing noise.
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)
    return time.perf_counter() - start


def main(arguments):
    paths = ([Path(a).resolve() for a in arguments] if arguments
             else sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")))
    for path in paths:
        seconds = execute(path)
        print(f"executed {path.relative_to(ROOT)} in {seconds:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
