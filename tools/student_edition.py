"""The student edition: the same book with every solution taken out.

    python tools/student_edition.py [--repository URL]   (make student)

Writes a complete, self-contained copy of the book to
_build/student/src (notebooks, jacolib, requirements, binder/), in which
each exercise's solution is replaced by a code cell that raises
NotImplementedError until the student fills it in, then builds its HTML
strictly (-W) into _build/student/_build/html. Everything else, stored
outputs and figures included, is the instructor's edition unchanged.

Push _build/student/src to the students' repository and pass its URL as
--repository: the launch buttons and the Colab install cell then open
and install from there, not from the repository with the solutions.
"""

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from install_cell import ensure_install_cell

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "student"
# What a student's copy needs to build, run on Binder and install jacolib.
COPIED = ["_config.yml", "_toc.yml", "book", "jacolib", "binder",
          "requirements.txt", "pyproject.toml", "README.md", "LICENSE",
          ".gitignore"]
EXERCISE = re.compile(r":::\{exercise\}[ \t]*(.*)\n:label:[ \t]*(\S+)")
SOLUTION_START = re.compile(r"```\{solution-start\}[ \t]+(\S+)")
SOLUTION_END = "{solution-end}"


def exercise_titles(notebook):
    """{label: title} of every exercise in the notebook."""
    return {label: title.strip()
            for cell in notebook.cells if cell.cell_type == "markdown"
            for title, label in EXERCISE.findall(cell.source)}


def stub_cell(label, title):
    cell = nbformat.v4.new_code_cell("\n".join([
        f"# Exercise: {title}",
        "# Your solution here; check_close helps you test it.",
        'raise NotImplementedError("your solution")']))
    cell.id = f"student-{label}"[:64]
    return cell


def student_notebook(notebook):
    """A copy of ``notebook`` with each solution replaced by a stub."""
    titles = exercise_titles(notebook)
    cells, open_label = [], None
    for cell in notebook.cells:
        start = (SOLUTION_START.search(cell.source)
                 if cell.cell_type == "markdown" else None)
        if open_label is None and start:
            open_label = start.group(1)
            if open_label not in titles:
                raise ValueError(
                    f"a solution for {open_label!r}, but the notebook has "
                    f"no exercise with that label; labels: {sorted(titles)}")
        if open_label is None:
            cells.append(cell)
        elif SOLUTION_END in cell.source:
            cells.append(stub_cell(open_label, titles[open_label]))
            open_label = None
    if open_label is not None:
        raise ValueError(f"the solution for {open_label!r} has no "
                         "{solution-end}; expected one after it")
    student = nbformat.from_dict(notebook)
    student.cells = cells
    return student


def student_config(config, repository):
    config = dict(config, title=config["title"] + " (student edition)")
    if repository:
        config["repository"] = dict(config["repository"], url=repository)
    return config


def write_sources(destination, repository=None):
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.
                            ignore_patterns("__pycache__", "*.egg-info",
                                            ".ipynb_checkpoints"))
        else:
            shutil.copy2(source, destination / name)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    (destination / "_config.yml").write_text(
        yaml.safe_dump(student_config(config, repository), sort_keys=False,
                       allow_unicode=True))
    for path in sorted((destination / "book").glob("[0-9][0-9]_*.ipynb")):
        notebook = student_notebook(nbformat.read(path, as_version=4))
        nbformat.write(ensure_install_cell(notebook, repository), path)


def build(source, output):
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    return subprocess.run(
        [str(jupyter_book), "build", str(source), "--path-output",
         str(output), "--all", "-W", "--keep-going"],
        capture_output=True, text=True)


def main(arguments):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repository", help="the students' repository "
                        "URL (default: the one in _config.yml)")
    options = parser.parse_args(arguments)
    write_sources(OUT / "src", options.repository)
    result = build(OUT / "src", OUT)
    if result.returncode != 0:
        print(result.stdout[-3000:] + result.stderr[-3000:])
        return result.returncode
    print(f"Student sources: {(OUT / 'src').relative_to(ROOT)}")
    print(f"Open {(OUT / '_build/html/index.html').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
