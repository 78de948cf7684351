# The book's commands. Each target sets up what it needs: a .venv in the
# repo (made if missing, reused if present) and, for the HTML, the
# front-end assets from the pinned npm packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test execute bench lab student setup assets test-tools clean

book: setup assets  ## build the HTML book into _build/html
	$(BIN)/jupyter-book build . --keep-going
	@echo "Open _build/html/index.html"

test: setup test-tools assets  ## every test: unit, notebooks, strict build, browser
	$(BIN)/python -m pytest

execute: setup  ## re-execute every notebook in place on a fresh kernel
	$(BIN)/python tools/execute_notebooks.py

bench: setup  ## print the measured budgets as a table
	$(BIN)/python -m benchmarks

student: setup assets  ## the student edition: solutions replaced by stubs
	$(BIN)/python tools/student_edition.py

lab: setup  ## open JupyterLab on the book
	$(BIN)/jupyter lab book/

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

assets:  ## MathJax and the widget manager, served by the book itself
	bash tools/vendor_assets.sh

test-tools:  ## Chromium, its driver and npm, from Debian's packages
	bash tools/install_test_tools.sh

clean:
	rm -rf _build book/_vendor
