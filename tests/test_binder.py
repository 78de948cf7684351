"""The student repository on Binder, from its own files.

Binder (repo2docker) installs ``binder/requirements.txt`` from the
repository's root into a fresh environment. This test does the same with
the student edition in a new venv and runs every student notebook in it,
top to bottom. It installs every package afresh (a few minutes), so it
is not part of `make test`: run it with `make test-binder`.
"""

import socket
import subprocess
import sys

import pytest

import student_edition
from notebook_checks import chapter_notebooks

pytestmark = [pytest.mark.binder, pytest.mark.slow]

STUDENT_URL = "https://github.com/a-course/students"
RUN_NOTEBOOK = """
import sys, nbformat
from nbclient import NotebookClient
path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
NotebookClient(notebook, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
print("ran", path)
"""


def pytorch_index_reachable():
    try:
        socket.create_connection(("download.pytorch.org", 443),
                                 timeout=5).close()
        return True
    except OSError:
        return False


def test_a_fresh_venv_from_the_students_binder_files_runs_every_notebook(
        tmp_path):
    source = tmp_path / "src"
    student_edition.write_sources(source, STUDENT_URL)
    if not pytorch_index_reachable():
        # As tools/install_python.sh does: the configured indexes instead.
        requirements = source / "requirements.txt"
        requirements.write_text("".join(
            line for line in requirements.read_text().splitlines(True)
            if not line.startswith("--extra-index-url")))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # As repo2docker does: from the repository's root.
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet",
         "-r", "binder/requirements.txt"],
        cwd=source, capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
    book = source / "book"
    for path in chapter_notebooks():
        run = subprocess.run(
            [str(python), "-c", RUN_NOTEBOOK, str(book / path.name),
             str(book)], cwd=source, capture_output=True, text=True)
        assert run.returncode == 0, (path.name, run.stderr[-3000:])
