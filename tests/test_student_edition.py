"""The student edition: every solution out, a stub in its place, the rest
unchanged, and a strict build of the result."""

import contextlib
import io
import json
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import nbformat
import numpy as np
import pytest

import reading_time
import student_edition
from install_cell import install_cell_source
from conftest import STUDENT_URL
from notebook_checks import ROOT, chapter_notebooks, code_cells, read


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
def test_each_solution_becomes_the_stub_its_kind_asks_for(path):
    original = read(path)
    student = student_edition.student_notebook(original)
    removed = solution_cells(original)
    assert removed, "the chapter should have solutions to remove"
    kept = [c.source for c in original.cells if c.id not in removed]
    assert [c.source for c in student.cells
            if not c.id.startswith("student-")] == kept
    exercises = re.findall(r":label: (ex-\S+)",
                           "".join(c.source for c in original.cells))
    first_stubs = [c.id for c in student.cells
                   if c.id.startswith("student-")
                   and not c.id.startswith("student-check-")]
    assert first_stubs == [f"student-{x}" for x in exercises]
    for label, solution in student_edition.solutions(original):
        stubs = [c for c in student.cells
                 if c.id in (f"student-{label}", f"student-check-{label}")]
        checked = [c for c in solution if c.cell_type == "code"
                   and "exercises.check(" in c.source]
        if checked:  # a coding exercise: its functions, empty, and the check
            (stub,) = stubs
            assert stub.cell_type == "code"
            assert "...  # your code here" in stub.source
            assert stub.source.splitlines()[-1] in checked[0].source
        else:  # a derivation: a cell for the answer (and one for a check)
            assert stubs[0].cell_type == "markdown"
            assert "Your answer" in stubs[0].source
            has_code = any(c.cell_type == "code" for c in solution)
            assert len(stubs) == 1 + has_code
    assert not any("solution-" in c.source for c in student.cells)


def test_a_stub_keeps_signature_docstring_and_check_and_drops_the_rest():
    solution = ('import numpy as np\n\n\n'
                'def best(values):\n'
                '    """The best rate."""\n'
                '    low, high = values.min(), values.max()\n'
                '    return 2 / (low + high)\n\n\n'
                'print(best(np.array([1.0, 2.0])))\n'
                'exercises.check("ex-best-rate", best)')
    assert student_edition.function_stub(solution) == (
        'def best(values):\n'
        '    """The best rate."""\n'
        '    ...  # your code here\n\n'
        'exercises.check("ex-best-rate", best)')


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_every_coding_stub_reports_not_written_yet_with_its_hint(path):
    # A stub's body is `...`: it runs alone, without the chapter's state.
    from jacolib import exercises
    student = student_edition.student_notebook(read(path))
    for stub in student.cells:
        if stub.cell_type != "code" or not stub.id.startswith("student-"):
            continue
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(stub.source, {"exercises": exercises, "np": np})
        if "exercises.check(" in stub.source:
            assert "not written yet" in output.getvalue()
            assert "Hint: " in output.getvalue()


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_every_solution_passes_its_checker(path):
    for label, solution in student_edition.solutions(read(path)):
        for cell in solution:
            if cell.cell_type == "code" and "exercises.check(" in cell.source:
                text = "".join(o.get("text", "") for o in cell.outputs)
                assert re.search(r"all \d+ cases pass  ✓", text), label


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_each_chapter_has_a_coding_exercise_with_a_checker(path):
    coding = [label for label, solution in
              student_edition.solutions(read(path))
              if any("exercises.check(" in c.source for c in solution)]
    assert coding, f"{path.stem}: no exercise calls exercises.check"


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_a_student_notebook_runs_to_the_end(path):
    # Proof without running it: the student notebook is the chapter
    # (which nbval runs) with its solutions replaced by stubs that
    # never raise (above), so it runs to the end unless a cell after a
    # solution uses something the solution defined. No code cell
    # outside the solutions comes after the first exercise's solution.
    original = read(path)
    removed = solution_cells(original)
    first = next(i for i, c in enumerate(original.cells) if c.id in removed)
    later_code = [c.id for c in original.cells[first:]
                  if c.cell_type == "code" and c.id not in removed]
    assert later_code == []


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


def solution_texts():
    """Every line of solution text and code worth looking for: long
    enough to be specific, and neither one the stub keeps on purpose (a
    function's signature and docstring, the check call) nor one a
    chapter also has outside its solutions."""
    texts, elsewhere = set(), set()
    for path in chapter_notebooks():
        notebook = read(path)
        inside = solution_cells(notebook)
        elsewhere |= {line.strip() for cell in notebook.cells
                      if cell.id not in inside
                      for line in cell.source.splitlines()}
    for path in chapter_notebooks():
        notebook = read(path)
        titles = student_edition.exercise_titles(notebook)
        for label, cells in student_edition.solutions(notebook):
            kept = elsewhere | {line.strip() for stub in
                                student_edition.stub_cells(
                                    label, titles[label], cells)
                                for line in stub.source.splitlines()}
            for cell in cells:
                texts.update(line.strip() for line in cell.source.splitlines()
                             if len(line.strip()) > 40
                             and "solution-" not in line
                             and line.strip() not in kept)
    return texts


@pytest.mark.slow
def test_the_student_edition_builds_strictly_with_its_own_make(
        student_build):
    source, result = student_build
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    log = result.stdout + result.stderr
    assert [line for line in log.splitlines() if "WARNING" in line] == []
    for path in chapter_notebooks():
        page = (source / "_build/html/book" / f"{path.stem}.html").read_text()
        assert 'class="solution' not in page
        n_exercises = "".join(c.source for c in read(path).cells).count(
            ":::{exercise}")
        # One stub per exercise: a cell for the answer, or the code stub.
        stubs = [c for c in read(source / "book" / path.name).cells
                 if c.id.startswith("student-")
                 and not c.id.startswith("student-check-")]
        coding = [c for c in stubs if c.cell_type == "code"]
        assert n_exercises >= 3 and len(stubs) == n_exercises
        assert page.count("Your answer") == len(stubs) - len(coding)
        assert page.count("your code here") >= len(coding) >= 1


@pytest.mark.slow
def test_no_solution_text_or_code_leaks_into_the_edition(student_build):
    source, _ = student_build
    texts = solution_texts()
    assert len(texts) > 50
    files = [*source.rglob("*.ipynb"), *source.rglob("*.md"),
             *(source / "_build" / "html").rglob("*.html")]
    leaks = {(str(f.relative_to(source)), text) for f in files
             for content in [f.read_text(errors="replace")]
             for text in texts if text in content or
             json.dumps(text)[1:-1] in content}
    assert leaks == set()


@pytest.mark.slow
def test_the_student_sources_are_a_repository_of_their_own(student_build):
    source, _ = student_build
    assert (source / ".git" / "HEAD").is_file()  # the instructor's git kept
    assert not (source / "stale.txt").exists()  # the old edition gone
    for needed in ("jacolib/__init__.py", "requirements.txt",
                   "pyproject.toml", "binder/requirements.txt",
                   "_config.yml", "_toc.yml", "book/references.bib",
                   "Makefile", "README.md", "tools/install_python.sh",
                   "book/students.md"):
        assert (source / needed).is_file(), needed
    assert not (source / "book/instructors.md").exists()
    assert "book/students" in (source / "_toc.yml").read_text()
    config = (source / "_config.yml").read_text()
    assert STUDENT_URL in config and "(student edition)" in config
    readme = (source / "README.md").read_text()
    for absent in ("make test", "tests/", "benchmarks/", "instructors"):
        assert absent not in readme
    assert "make book" in readme and "make lab" in readme
    requirements = (source / "requirements.txt").read_text()
    assert "jupyter-book==" in requirements and "pytest" not in requirements
    for path in chapter_notebooks():
        notebook = read(source / "book" / path.name)
        assert code_cells(notebook)[0].source == \
            install_cell_source(STUDENT_URL)
        downloaded = (source / "_build/html/_sources/book" /
                      path.name).read_text()
        assert "solution-start" not in downloaded


@pytest.mark.slow
def test_the_students_make_offers_book_and_lab(student_build):
    source, _ = student_build
    help_text = subprocess.run(["make", "-C", str(source), "help"],
                               capture_output=True, text=True).stdout
    assert "make book" in help_text and "make lab" in help_text
    plan = subprocess.run(["make", "-C", str(source), "-n", "lab",
                           "NO_SETUP=1", f"VENV={sys.prefix}"],
                          capture_output=True, text=True)
    assert plan.returncode == 0 and "jupyter lab book/" in plan.stdout
    fresh = subprocess.run(["make", "-C", str(source), "-n", "book",
                            "VENV=/nonexistent/venv"],
                           capture_output=True, text=True)
    assert "tools/install_python.sh" in fresh.stdout  # sets itself up


def test_make_student_warns_without_the_students_repository(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(student_edition, "write_sources",
                        lambda source, repository: None)
    monkeypatch.setattr(student_edition, "build", lambda source:
                        subprocess.CompletedProcess([], 0, "", ""))
    assert student_edition.main(["--out", str(tmp_path)]) == 0
    assert "the repository WITH the solutions" in capsys.readouterr().err
    assert student_edition.main(["--out", str(tmp_path), "--repository",
                                 STUDENT_URL]) == 0
    assert "WITH the solutions" not in capsys.readouterr().err


def test_the_tool_runs_outside_the_venv():
    # A reader runs it with the system Python: it hands itself to .venv.
    result = subprocess.run(["/usr/bin/env", "-i", "PATH=/usr/bin:/bin",
                             "python3", str(ROOT / "tools/student_edition.py"),
                             "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "--repository" in result.stdout and "--out" in result.stdout


def test_hub_links_pull_the_students_repository_into_the_chapter():
    import hub_links

    link = hub_links.hub_link("https://hub.example.edu/", STUDENT_URL,
                              "01_linear_regression")
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    assert parts.path == "/hub/user-redirect/git-pull"
    assert query == {"repo": [STUDENT_URL], "branch": ["main"],
                     "urlpath": ["lab/tree/students/book/"
                                 "01_linear_regression.ipynb"]}
    stems = [stem for stem, _ in hub_links.chapters()]
    assert stems == [p.stem for p in chapter_notebooks()] or \
        sorted(stems) == sorted(p.stem for p in chapter_notebooks())
    with pytest.raises(ValueError, match="hub's address"):
        hub_links.hub_link("hub.example.edu", STUDENT_URL, "x")


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
        assert [cells[3], cells[6]] == [f"{reading} min",
                                        f"{exercises} min"], row


def test_the_plan_names_every_exercise_once_and_a_checked_one_in_class():
    plan = (ROOT / "book" / "instructors.md").read_text()
    term = plan.split("## A term")[1].split("###")[0]
    named = re.findall(r"\{ref\}`(ex-[^`]+)`", term)
    exercises = [label for path in chapter_notebooks()
                 for label in re.findall(r":label: (ex-\S+)", "".join(
                     c.source for c in read(path).cells))]
    assert sorted(named) == sorted(exercises)
    for row in term.splitlines():
        if row.startswith("| ") and "{doc}" in row:
            in_class = re.search(r"\{ref\}`(ex-[^`]+)`",
                                 row.split("|")[4]).group(1)
            path = ROOT / "book" / (re.search(r"\{doc\}`([^`]+)`",
                                              row).group(1) + ".ipynb")
            coding = [label for label, cells in
                      student_edition.solutions(read(path))
                      if any("exercises.check(" in c.source
                             for c in cells)]
            assert in_class in coding, row


def test_the_chapter_map_is_the_one_its_record_draws():
    import course_map
    figure = ROOT / "book" / "figures" / "chapter_map.svg"
    assert figure.read_text() == course_map.svg_text(), \
        "run python tools/course_map.py"
    assert set(course_map.CHAPTERS) == {p.stem for p in chapter_notebooks()}
    # The record points only backwards, along the book's order.
    order = [p.stem for p in chapter_notebooks()]
    for chapter, needs in course_map.NEEDS.items():
        assert all(order.index(n) < order.index(chapter) for n in needs)
    assert "figures/chapter_map.svg" in (
        ROOT / "book" / "instructors.md").read_text()


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
