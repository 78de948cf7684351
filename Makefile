# The book's commands (`make help` lists them). Each target sets up what
# it needs: a .venv in the repo (made if missing, reused if present)
# and, for the HTML, the front-end assets from the pinned npm packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= _build/student
REPO ?=
HUB ?=

.PHONY: help book test check execute bench lab student hub-links pdf \
	linkcheck test-binder setup assets test-tools clean

book: setup assets  ## build the HTML book into _build/html
	@$(BIN)/jupyter-book build . --keep-going --quiet

test: setup test-tools assets  ## every test (contributors): unit, lint, notebooks, strict build, browser
	$(BIN)/python -m pytest

check: setup  ## the fast loop: lint and unit tests, no notebooks or browser (< 1 min)
	$(BIN)/python -m pytest tests -m "not slow and not browser" -q

test-binder: setup  ## the student edition in a fresh venv, as Binder builds it (minutes)
	$(BIN)/python -m pytest tests/test_binder.py -m binder -n 0

execute: setup  ## re-run every notebook on a fresh kernel and store its outputs
	$(BIN)/python tools/execute_notebooks.py

bench: setup  ## measure the budgets and print a table (takes a few minutes)
	$(BIN)/python -m benchmarks

student: setup assets  ## the student edition (OUT=folder REPO=students' repo URL)
	$(BIN)/python tools/student_edition.py --out "$(OUT)" --repository "$(REPO)"

hub-links: setup  ## nbgitpuller links per chapter (HUB=hub URL REPO=students' repo)
	@cd tools && ../$(BIN)/python hub_links.py --hub "$(HUB)" --repository "$(REPO)"

pdf: setup test-tools assets  ## print the whole book to _build/pdf/book.pdf (Chromium)
	$(BIN)/python tools/print_pdf.py

linkcheck: setup assets  ## check the book's external links (needs the network)
	$(BIN)/jupyter-book build . --builder linkcheck

lab: setup  ## open JupyterLab on the book
	$(BIN)/jupyter lab book/

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		sed -E 's/:[^#]*## /\t/' | awk -F'\t' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@bash tools/install_python.sh $(BIN)/python
	@touch $(STAMP)

assets:  ## MathJax and the widget manager, served by the book itself
	@bash tools/vendor_assets.sh

test-tools:  ## Chromium, its driver and npm, from Debian's packages
	@bash tools/install_test_tools.sh

clean:  ## remove the built book and the copied assets
	rm -rf _build book/_vendor
