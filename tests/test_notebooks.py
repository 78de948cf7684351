"""Every chapter notebook is stored executed and fresh.

The outputs themselves are compared by nbval (`pytest` runs it over
book/ with the options in pyproject.toml). The tests below check the
rest, and show on tampered copies that each check can fail.
"""

import os
import subprocess
import sys
from xml.etree import ElementTree

import nbformat
import pytest

from notebook_checks import ROOT, WIDGET_VIEW, chapter_notebooks, \
    code_cells, read, stored_execution_problems, toc_files

CHAPTER_1 = ROOT / "book" / "01_linear_regression.ipynb"
TIMING_CELL_PREFIX = "timing-"


def test_the_table_of_contents_and_the_chapters_agree():
    listed = toc_files()
    for name in listed:
        assert any((ROOT / f"{name}{suffix}").is_file()
                   for suffix in (".ipynb", ".md")), name
    chapters = [f"book/{path.stem}" for path in chapter_notebooks()]
    assert len(chapters) >= 3
    assert [name for name in listed if name in chapters] == chapters


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_notebook_is_stored_executed(path):
    assert stored_execution_problems(read(path)) == []


def shows_a_widget(cell):
    return any(WIDGET_VIEW in output.get("data", {})
               for output in cell.get("outputs", []))


def cells_skipping_the_comparison_unjustly(notebook):
    """Cells tagged nbval-ignore-output whose output is neither a widget
    (a live panel, a front-end figure) nor a wall-clock time in a cell
    named as such (its id starts with 'timing-')."""
    return [cell.id for cell in notebook.cells
            if "nbval-ignore-output" in cell.metadata.get("tags", [])
            and not shows_a_widget(cell)
            and not cell.id.startswith(TIMING_CELL_PREFIX)]


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_only_panels_and_named_timing_cells_skip_the_comparison(path):
    assert cells_skipping_the_comparison_unjustly(read(path)) == []


def test_an_unnamed_cell_that_skips_the_comparison_is_caught():
    notebook = read(CHAPTER_1)
    cell = code_cells(notebook)[2]  # prints numbers, no panel, no timing
    cell.metadata["tags"] = ["nbval-ignore-output"]
    assert cells_skipping_the_comparison_unjustly(notebook) == [cell.id]
    cell.id = "timing-renamed"
    assert cells_skipping_the_comparison_unjustly(notebook) == []


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_every_chapter_links_the_notation_page(path):
    header = next(c.source for c in read(path).cells
                  if c.cell_type == "markdown")
    assert "{doc}`notation`" in header


# A code line or text output wider than this scrolls sideways on the
# HTML page (measured in headless Chromium at 1280 px); a solution's
# dropdown box is narrower. The browser suite checks the built pages.
PAGE_WIDTH = 75
SOLUTION_WIDTH = 67
MAX_CELL_LINES = 15  # CONTRIBUTING.md: short cells, one idea each


def cells_with_widths(notebook):
    """Each code cell with the width it must fit in."""
    inside_solution = False
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            inside_solution = (inside_solution
                               or "{solution-start}" in cell.source)
            if "{solution-end}" in cell.source:
                inside_solution = False
        elif cell.cell_type == "code":
            yield cell, SOLUTION_WIDTH if inside_solution else PAGE_WIDTH


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_code_and_printed_lines_fit_the_page(path):
    too_wide = []
    for cell, width in cells_with_widths(read(path)):
        texts = [cell.source] + [o.get("text", "") for o in cell.outputs]
        too_wide += [(cell.id, line) for text in texts
                     for line in text.splitlines() if len(line) > width]
    assert too_wide == []


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_code_cells_are_short(path):
    long_cells = [(index, len(cell.source.splitlines()))
                  for index, cell in enumerate(code_cells(read(path)), 1)
                  if len(cell.source.splitlines()) > MAX_CELL_LINES]
    assert long_cells == []


def test_a_notebook_without_outputs_is_caught():
    notebook = read(CHAPTER_1)
    for cell in code_cells(notebook):
        cell.outputs, cell.execution_count = [], None
    problems = stored_execution_problems(notebook)
    assert any("never executed" in p for p in problems)
    assert "stored without outputs" in problems


def test_cells_run_out_of_order_are_caught():
    notebook = read(CHAPTER_1)
    first, second = code_cells(notebook)[:2]
    first.execution_count, second.execution_count = 2, 1
    problems = stored_execution_problems(notebook)
    assert any("are not 1.." in p and "in order" in p for p in problems)


def test_stored_errors_warnings_and_lost_widget_state_are_caught():
    notebook = read(CHAPTER_1)
    cell = code_cells(notebook)[1]
    cell.outputs.append(nbformat.v4.new_output(
        "stream", name="stderr", text="RuntimeWarning: overflow"))
    cell.outputs.append(nbformat.v4.new_output(
        "error", ename="ValueError", evalue="bad", traceback=[]))
    notebook.metadata.pop("widgets")
    problems = " | ".join(stored_execution_problems(notebook))
    assert "stored stderr" in problems
    assert "stored error ValueError: bad" in problems
    assert "without saved state" in problems


def test_a_failed_check_stored_in_an_output_is_caught():
    notebook = read(CHAPTER_1)
    cell = first_printing_cell(notebook, "✓")
    for output in cell.outputs:
        if output.output_type == "stream":
            output.text = output.text.replace("< 1e-10  ✓",
                                              "= 3.00e-02, not < 1e-10  ✗")
    problems = " | ".join(stored_execution_problems(notebook))
    assert "a failed check is stored" in problems


@pytest.mark.slow
def test_a_broken_claim_stops_make_execute(tmp_path):
    # What `make execute` runs, on a copy whose claim no longer holds:
    # the run stops at the failed check, so no ✗ can be stored.
    notebook = read(CHAPTER_1)
    cell = next(c for c in code_cells(notebook)
                if "check_close(\"w* vs numpy.linalg.lstsq\"" in c.source)
    cell.source = cell.source.replace("np.linalg.lstsq(X, y, rcond=None)[0]",
                                      "np.linalg.lstsq(X, y, rcond=None)[0]"
                                      " + 1e-3")
    path = tmp_path / "chapter.ipynb"
    nbformat.write(notebook, path)
    before = path.read_text()
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "execute_notebooks.py"),
         str(path)], capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "CheckFailed" in result.stderr
    assert "w* vs numpy.linalg.lstsq: max |error| = 1.00e-03" in \
        result.stderr
    assert path.read_text() == before  # nothing stored


def nbval(tmp_path, paths, environment=None, *options):
    """Run nbval, isolated from this repo's pytest settings."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
         str(ROOT / "tests" / "sanitize.cfg"), "-c",
         str(tmp_path / "pytest.ini"), *options, *map(str, paths)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env=environment)


def first_printing_cell(notebook, text):
    for cell in code_cells(notebook):
        if any(text in o.get("text", "") for o in cell.outputs):
            return cell
    raise AssertionError(f"no stored output contains {text!r}")


def chapter_1_opening():
    """Chapter 1 up to its first check of w*: enough to show that nbval
    compares what matters, in a few seconds rather than a whole page."""
    notebook = read(CHAPTER_1)
    last = notebook.cells.index(first_printing_cell(notebook, "w* = "))
    notebook.cells = notebook.cells[:last + 1]
    return notebook


def stale_output(notebook):
    cell = first_printing_cell(notebook, "w* = ")
    for output in cell.outputs:
        if output.output_type == "stream":
            output.text = output.text.replace("w* = [", "w* ≈ [")


def changed_code(notebook):
    cell = next(c for c in code_cells(notebook)
                if "n_samples=40" in c.source)
    cell.source = cell.source.replace("n_samples=40", "n_samples=41")


@pytest.mark.slow
def test_nbval_catches_a_stale_output_and_a_changed_number(tmp_path):
    # One nbval run over three copies of chapter 1's opening: one with a
    # stale stored output, one whose code changes a printed number, and
    # the control, untouched. Each copy's verdict per cell, read from
    # the run's JUnit XML.
    for name, tamper in [("stale", stale_output), ("changed", changed_code),
                         ("untouched", lambda notebook: None)]:
        notebook = chapter_1_opening()
        tamper(notebook)
        nbformat.write(notebook, tmp_path / f"{name}.ipynb")
    result = nbval(tmp_path, sorted(tmp_path.glob("*.ipynb")), None,
                   "--junitxml", str(tmp_path / "report.xml"))
    cells, problems = {}, {}
    for case in ElementTree.parse(tmp_path / "report.xml").iter("testcase"):
        name = case.get("classname").split(".")[0]  # "stale.ipynb"
        cells[name] = cells.get(name, 0) + 1
        problems.setdefault(name, []).extend(
            (kind, (element.get("message") or "") + (element.text or ""))
            for kind in ("failure", "error", "skipped")
            for element in case.iter(kind))
    assert result.returncode != 0, result.stdout[-2000:]
    # The stale output: its one cell fails, showing what was stored.
    stale = problems["stale"]
    assert [kind for kind, _ in stale] == ["failure"], stale
    assert "w* ≈ [" in stale[0][1]
    # The changed number fails too.
    assert [kind for kind, _ in problems["changed"]][:1] == ["failure"]
    # The control: the same run, no tampering, every cell passes.
    assert cells["untouched"] >= 3 and problems["untouched"] == []


# What a reader's older CPU would use: torch's kernels without vector
# instructions, MKL and OpenBLAS limited to SSE4.2. The stored outputs
# were made on a machine with AVX-512, so comparing them here shows both
# that they are fresh (the current code prints them) and that they do
# not depend on the CPU's vector instructions.
OLDER_CPU = {"ATEN_CPU_CAPABILITY": "default",
             "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
             "OPENBLAS_CORETYPE": "Nehalem"}


def test_the_older_cpu_setting_takes_effect():
    environment = {**os.environ, **OLDER_CPU}
    capability = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.backends.cpu"
         ".get_cpu_capability())"], env=environment, capture_output=True,
        text=True, check=True).stdout.strip()
    assert capability == "DEFAULT"


@pytest.mark.slow
@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_stored_outputs_are_what_the_code_prints_on_an_older_cpu(
        path, tmp_path):
    result = nbval(tmp_path, [path], {**os.environ, **OLDER_CPU})
    assert result.returncode == 0, result.stdout[-3000:]
    assert "passed" in result.stdout.splitlines()[-1]
