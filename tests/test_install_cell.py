"""Colab and Binder get a working kernel: the install cell and binder/."""

import nbformat
import pytest

from conftest import HTML
from install_cell import (ensure_install_cell, install_cell_source,
                          is_install_cell, repository_url)
from notebook_checks import ROOT, chapter_notebooks, code_cells, read


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_first_code_cell_installs_jacolib_from_the_configured_repo(path):
    first = code_cells(read(path))[0]
    assert first.source == install_cell_source()
    assert f"git+{repository_url()}" in first.source
    assert "remove-cell" in first.metadata.get("tags", [])
    assert sum(is_install_cell(c) for c in read(path).cells) == 1


def test_the_cell_checks_for_jacolib_before_installing():
    lines = install_cell_source().splitlines()
    condition = lines.index(
        'if importlib.util.find_spec("jacolib") is None:')
    assert lines[condition + 1].lstrip().startswith("%pip install")


def test_ensure_replaces_a_stale_cell_and_is_idempotent():
    notebook = read(chapter_notebooks()[0])
    stale = code_cells(notebook)[0]
    stale.source = stale.source.replace(repository_url(),
                                        "https://example.org/old")
    notebook.cells.append(nbformat.v4.new_code_cell(stale.source))
    once = ensure_install_cell(notebook)
    twice = ensure_install_cell(nbformat.from_dict(once))
    for result in (once, twice):
        installs = [c for c in result.cells if is_install_cell(c)]
        assert [c.source for c in installs] == [install_cell_source()]
        assert code_cells(result)[0] is installs[0]
    assert [c.id for c in once.cells] == [c.id for c in twice.cells]


@pytest.mark.slow
def test_the_html_book_hides_the_install_cell(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    for path in chapter_notebooks():
        page = (HTML / "book" / f"{path.stem}.html").read_text()
        assert "find_spec" not in page, path.stem


def test_binder_and_readers_install_the_pins_with_cpu_torch():
    binder = (ROOT / "binder" / "requirements.txt").read_text().split()
    assert "-r" in binder and "../requirements.txt" in binder
    pins = (ROOT / "requirements.txt").read_text().splitlines()
    # The CPU index in the file itself: a reader's `pip install -r`
    # and Binder both get torch 2.13.0+cpu, not a CUDA build.
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in pins
    assert "torch==2.13.0" in pins and "-e ." in pins


def test_the_installer_falls_back_when_the_cpu_index_is_out_of_reach():
    script = (ROOT / "tools" / "install_python.sh").read_text()
    assert "download.pytorch.org" in script
    assert "grep -v '^--extra-index-url' requirements.txt" in script
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert runtime == "python-3.11"


def test_readme_badges_point_at_the_configured_repository():
    # The badges go stale silently when repository.url changes.
    owner_repo = repository_url().removeprefix("https://github.com/")
    owner, repo = owner_repo.split("/")
    readme = (ROOT / "README.md").read_text()
    badge = f"github.com/{owner_repo}/actions/workflows/test.yml/badge.svg"
    assert badge in readme
    assert f"https://{owner}.github.io/{repo}/" in readme
    assert f"mybinder.org/v2/gh/{owner_repo}/main" in readme
