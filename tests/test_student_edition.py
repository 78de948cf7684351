"""The student edition: every solution out, a stub in its place, the rest
unchanged, and a strict build of the result."""

import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import reading_time
import student_edition
from install_cell import install_cell_source
from notebook_checks import ROOT, chapter_notebooks, code_cells, read

STUDENT_URL = "https://github.com/a-course/students"


def solution_cells(notebook):
    """The ids of the cells from each solution-start to its solution-end."""
    ids, inside = set(), False
    for cell in notebook.cells:
        inside = inside or "{solution-start}" in cell.source
        if inside:
            ids.add(cell.id)
        inside = inside and "{solution-end}" not in cell.source
    return ids


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_each_solution_becomes_one_stub_after_its_exercise(path):
    original = read(path)
    student = student_edition.student_notebook(original)
    removed = solution_cells(original)
    assert removed, "the chapter should have solutions to remove"
    kept = [c.source for c in original.cells if c.id not in removed]
    stubs = [c for c in student.cells if c.id.startswith("student-")]
    assert [c.source for c in student.cells
            if not c.id.startswith("student-")] == kept
    exercises = re.findall(r":label: (ex-\S+)",
                           "".join(c.source for c in original.cells))
    assert [c.id for c in stubs] == [f"student-{x}" for x in exercises]
    for stub in stubs:
        before = student.cells[student.cells.index(stub) - 1]
        assert f":label: {stub.id[len('student-'):]}" in before.source
        assert 'raise NotImplementedError("your solution")' in stub.source
    assert not any("solution-" in c.source for c in student.cells)


def exercise_cell(label="ex-a", title="A title"):
    return nbformat.v4.new_markdown_cell(
        f":::{{exercise}} {title}\n:label: {label}\n\nDo it.\n:::")


def solution_start(label):
    return nbformat.v4.new_markdown_cell(
        f"```{{solution-start}} {label}\n:class: dropdown\n```\nHint.")


def test_a_solution_without_its_end_is_refused():
    notebook = nbformat.v4.new_notebook(cells=[
        exercise_cell(), solution_start("ex-a"),
        nbformat.v4.new_code_cell("answer = 42")])
    with pytest.raises(ValueError, match=r"'ex-a' has no \{solution-end\}"):
        student_edition.student_notebook(notebook)


def test_a_solution_to_no_exercise_is_refused():
    notebook = nbformat.v4.new_notebook(cells=[
        exercise_cell(), solution_start("ex-typo"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```")])
    with pytest.raises(ValueError, match=r"'ex-typo'.*labels: \['ex-a'\]"):
        student_edition.student_notebook(notebook)


@pytest.fixture(scope="module")
def student_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    student_edition.write_sources(out / "src", STUDENT_URL)
    result = student_edition.build(out / "src", out)
    return out, result


@pytest.mark.slow
def test_the_student_edition_builds_strictly(student_build):
    out, result = student_build
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    log = result.stdout + result.stderr
    assert [line for line in log.splitlines() if "WARNING" in line] == []
    for path in chapter_notebooks():
        page = (out / "_build/html/book" / f"{path.stem}.html").read_text()
        assert 'class="solution' not in page
        n_exercises = "".join(c.source for c in read(path).cells).count(
            ":::{exercise}")
        assert n_exercises >= 3
        assert page.count("NotImplementedError") == n_exercises
        assert "exercise" in page


@pytest.mark.slow
def test_the_student_sources_are_a_repository_of_their_own(student_build):
    out, _ = student_build
    source = out / "src"
    for needed in ("jacolib/__init__.py", "requirements.txt",
                   "pyproject.toml", "binder/requirements.txt",
                   "_config.yml", "_toc.yml", "book/references.bib"):
        assert (source / needed).is_file(), needed
    config = (source / "_config.yml").read_text()
    assert STUDENT_URL in config and "(student edition)" in config
    for path in chapter_notebooks():
        notebook = read(source / "book" / path.name)
        assert code_cells(notebook)[0].source == \
            install_cell_source(STUDENT_URL)
        downloaded = (out / "_build/html/_sources/book" /
                      path.name).read_text()
        assert "solution-start" not in downloaded


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_each_header_states_the_times_the_rule_gives(path):
    notebook = read(path)
    assert reading_time.stated_minutes(notebook) == \
        reading_time.chapter_minutes(notebook)


def test_the_course_plan_gives_each_chapter_the_rules_times():
    plan = (ROOT / "book" / "instructors.md").read_text()
    for path in chapter_notebooks():
        reading, exercises = reading_time.chapter_minutes(read(path))
        row = next(line for line in plan.splitlines()
                   if f"{{doc}}`{path.stem}`" in line)
        cells = [cell.strip() for cell in row.split("|")]
        assert cells[3:5] == [f"{reading} min", f"{exercises} min"], row


def test_the_time_rule_counts_words_code_and_exercises():
    cells = [nbformat.v4.new_markdown_cell("word " * 120),
             nbformat.v4.new_code_cell("x = 1"),
             nbformat.v4.new_code_cell("hidden"),
             nbformat.v4.new_markdown_cell(
                 ":::{exercise} E\n:label: ex-e\n" + "word " * 600),
             nbformat.v4.new_markdown_cell(":::{exercise} F\n:::")]
    cells[2].metadata["tags"] = ["remove-cell"]
    notebook = nbformat.v4.new_notebook(cells=cells)
    # 120 words / 60 + 1 code cell = 3 min -> 5; two exercises -> 20.
    assert reading_time.chapter_minutes(notebook) == (5, 20)
    cells[0].source = "word " * 241  # 4.02 + 1 -> 10
    assert reading_time.chapter_minutes(notebook) == (10, 20)


@pytest.mark.slow
def test_a_student_notebook_runs_until_the_first_exercise(tmp_path):
    notebook = student_edition.student_notebook(read(chapter_notebooks()[0]))
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError) as failure:
        client.execute()
    assert failure.value.ename == "NotImplementedError"
    failed = [cell for cell in code_cells(notebook)
              if any(o.output_type == "error" for o in cell.outputs)]
    first_stub = next(cell for cell in notebook.cells
                      if cell.id.startswith("student-"))
    assert failed == [first_stub]
