"""The book's one rule for a chapter's time estimate.

    python tools/reading_time.py        # print every chapter's times

A chapter's header states "**Time**: about R minutes to read and run;
E more for the exercises", and the course plan (book/instructors.md)
repeats both numbers. Both come from this rule, which the tests apply:

- reading and running: one minute per 60 words of text outside the
  exercises (technical prose with formulas, read to be understood), plus
  one minute per code cell (read it, run it, look at what it prints);
- exercises: 10 minutes per exercise;

each rounded up to a multiple of 5 minutes. Words are counted in
markdown cells, formulas included (a symbol is read as slowly as a
word); hidden cells, the solutions and the references are not counted.
"""

import math
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
WORDS_PER_MINUTE = 60
MINUTES_PER_CODE_CELL = 1
MINUTES_PER_EXERCISE = 10
TIME_LINE = re.compile(r"\*\*Time\*\*: about (\d+) minutes to read and "
                       r"run; (\d+) more for the exercises")
_WORD = re.compile(r"[A-Za-z0-9\\]+")


def _round_up_to_5(minutes):
    return 5 * math.ceil(minutes / 5)


def _main_text_cells(notebook):
    """The cells before the exercises (or the references)."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and (
                ":::{exercise}" in cell.source
                or cell.source.lstrip().startswith("## Exercises")
                or cell.source.lstrip().startswith("## References")):
            return
        if "remove-cell" not in cell.metadata.get("tags", []):
            yield cell


def chapter_minutes(notebook):
    """(reading and running, exercises) in minutes, by the rule above."""
    words = code_cells = 0
    for cell in _main_text_cells(notebook):
        if cell.cell_type == "markdown":
            words += len(_WORD.findall(cell.source))
        elif cell.cell_type == "code":
            code_cells += 1
    reading = words / WORDS_PER_MINUTE + MINUTES_PER_CODE_CELL * code_cells
    n_exercises = sum(cell.source.count(":::{exercise}")
                      for cell in notebook.cells
                      if cell.cell_type == "markdown")
    return (_round_up_to_5(reading),
            _round_up_to_5(MINUTES_PER_EXERCISE * n_exercises))


def stated_minutes(notebook):
    """(reading and running, exercises) as the header states them."""
    text = "".join(c.source for c in notebook.cells
                   if c.cell_type == "markdown")
    found = TIME_LINE.search(text)
    if not found:
        raise ValueError("no '**Time**: about R minutes to read and run; "
                         "E more for the exercises' line in the header")
    return int(found.group(1)), int(found.group(2))


def main():
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        reading, exercises = chapter_minutes(notebook)
        print(f"{path.name}: {reading} min to read and run, "
              f"{exercises} min of exercises")


if __name__ == "__main__":
    sys.exit(main())
