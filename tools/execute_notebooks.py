"""Execute notebooks in place on a fresh kernel, storing outputs and
widget state (what `make execute` runs).

    python tools/execute_notebooks.py [book/NN_name.ipynb ...]

With no argument, every notebook in book/. First each notebook gets the
current install cell (tools/install_cell.py). Cells run top to bottom, so
execution counts are 1..N; the notebook's folder is the working
directory, as in JupyterLab.
"""

import datetime
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from install_cell import ensure_install_cell

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_PER_CELL = 300
# The packages whose versions the reproducibility page shows per run.
RECORDED_PACKAGES = ["torch", "numpy", "matplotlib", "ipywidgets",
                     "anywidget", "ipykernel"]


def processor_name():
    """The CPU's model name (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def execution_record(seconds):
    """What the book's reproducibility page says about a stored run: how
    long it took, when, on what machine, with which versions."""
    return {
        "seconds": round(seconds, 1),
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "processor": processor_name(),
        "cores": os.cpu_count(),
        "packages": {name: metadata.version(name)
                     for name in RECORDED_PACKAGES},
    }


def merge_streams(outputs):
    """Join consecutive prints to the same stream into one output: how
    the kernel happened to split them in messages depends on timing, and
    the stored notebook should not."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


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
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    seconds = time.perf_counter() - start
    notebook.metadata["jacolib_execution"] = execution_record(seconds)
    nbformat.write(notebook, path)
    return seconds


def main(arguments):
    paths = ([Path(a).resolve() for a in arguments] if arguments
             else sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")))
    for path in paths:
        seconds = execute(path)
        print(f"executed {path.relative_to(ROOT)} in {seconds:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
