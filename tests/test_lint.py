"""The code of the package, the tests, the tools and the notebooks passes
the linter configured in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "--no-cache", "."],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def _actionlint(*paths):
    actionlint = Path(sys.executable).parent / "actionlint"
    return subprocess.run([str(actionlint), "-no-color", *map(str, paths)],
                          cwd=ROOT, capture_output=True, text=True)


def test_workflows_pass_actionlint():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert {w.name for w in workflows} == {"test.yml", "pages.yml"}
    result = _actionlint(*workflows)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    # The check above could pass by linting nothing: a workflow with an
    # undefined job dependency and an unknown key must fail it.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
                      "    needs: nowhere\n    stepz: []\n")
    result = _actionlint(broken)
    assert result.returncode != 0
    assert "nowhere" in result.stdout


def test_workflows_run_the_readme_commands():
    test_yml = (ROOT / ".github/workflows/test.yml").read_text()
    pages_yml = (ROOT / ".github/workflows/pages.yml").read_text()
    assert "run: make test" in test_yml
    assert "jupyter-book build . -W" in pages_yml
    assert "_build/html" in pages_yml
