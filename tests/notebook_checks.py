"""Is a notebook stored executed? (The freshness check's first half.)

nbval re-runs each notebook and compares its outputs with the stored
ones: that catches outputs the code no longer produces. But a notebook
stored with no outputs passes nbval while checking nothing, so this
module checks what nbval cannot: that every code cell was executed, in
order, on one fresh kernel, that the outputs are there, and that they
hold no error, no warning, no failed check (✗) and no widget without
its saved state.
"""

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from toc import toc_files  # noqa: E402,F401  (the tests' list of pages)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def chapter_notebooks():
    return sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def code_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code"]


def stored_execution_problems(notebook):
    """Everything that shows the notebook is not stored fresh; [] if ok."""
    cells = code_cells(notebook)
    if not cells:
        return ["the notebook has no code cells"]
    problems = []
    counts = [cell.execution_count for cell in cells]
    expected = list(range(1, len(cells) + 1))
    if None in counts:
        problems.append(f"{counts.count(None)} code cell(s) never executed")
    elif counts != expected:
        problems.append(f"execution counts {counts} are not 1..{len(counts)}"
                        " in order (run top to bottom on a fresh kernel)")
    if not any(cell.outputs for cell in cells):
        problems.append("stored without outputs")
    for index, cell in enumerate(cells, start=1):
        problems += [f"code cell {index}: {p}" for p in _output_problems(cell)]
    problems += _widget_state_problems(notebook, cells)
    return problems


FAILED_CHECK = "✗"


def _output_problems(cell):
    for output in cell.outputs:
        if output.output_type == "error":
            yield f"stored error {output.ename}: {output.evalue}"
        elif output.output_type == "stream" and output.name == "stderr":
            yield f"stored stderr (a warning?): {output.text[:80]!r}"
        text = output.get("text", "") + output.get("data", {}).get(
            "text/plain", "")
        if FAILED_CHECK in text:
            line = next(x for x in text.splitlines() if FAILED_CHECK in x)
            yield f"a failed check is stored: {line[:80]!r}"


def _widget_state_problems(notebook, cells):
    shown = {output.data[WIDGET_VIEW]["model_id"]
             for cell in cells for output in cell.outputs
             if WIDGET_VIEW in output.get("data", {})}
    if not shown:
        return []
    state = (notebook.metadata.get("widgets", {})
             .get(WIDGET_STATE, {}).get("state", {}))
    missing = shown - set(state)
    if missing:
        return [f"{len(missing)} widget(s) shown without saved state "
                "(execute with store_widget_state)"]
    return []


def read(path):
    return nbformat.read(path, as_version=4)
