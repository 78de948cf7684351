"""nbgitpuller links: hand a chapter out to a class on a JupyterHub.

    make hub-links HUB=https://hub.example.edu REPO=https://github.com/you/course
    python tools/hub_links.py --hub URL [--repository URL] [--branch main]
                              [--chapter 01_linear_regression]

A link opens the chapter in JupyterLab on the hub, after pulling (or
updating) the repository into the student's home folder; the hub needs
nbgitpuller installed. Give the students' repository (the one
`make student` writes): the links then pull the edition without the
solutions. One link per chapter, in the book's order.
"""

import argparse
import sys
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from install_cell import repository_url
from toc import toc_files

ROOT = Path(__file__).resolve().parent.parent


def chapters():
    """(file stem, title) of every chapter notebook, in the toc's order."""
    for name in toc_files(ROOT):
        path = ROOT / f"{name}.ipynb"
        if path.is_file():
            yield path.stem, _title(path)


def _title(path):
    import nbformat
    for cell in nbformat.read(path, as_version=4).cells:
        for line in cell.source.splitlines():
            if cell.cell_type == "markdown" and line.startswith("# "):
                return line[2:].strip()
    return path.stem


def hub_link(hub, repository, chapter, branch="main"):
    """The nbgitpuller link that opens book/<chapter>.ipynb."""
    parts = urlsplit(hub)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"hub: expected the hub's address, like "
                         f"https://hub.example.edu; got {hub!r}")
    folder = urlsplit(repository).path.rstrip("/").split("/")[-1]
    folder = folder.removesuffix(".git")
    if not folder:
        raise ValueError(f"repository: expected a git URL ending in the "
                         f"repository's name; got {repository!r}")
    query = urlencode({"repo": repository, "branch": branch,
                       "urlpath": f"lab/tree/{folder}/book/{chapter}.ipynb"},
                      quote_via=quote, safe="")
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def main(arguments):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", required=True, help="the hub's address")
    parser.add_argument("--repository", default="",
                        help="the students' repository (default: this "
                             "book's, with the solutions)")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--chapter", help="one chapter's file name "
                        "(e.g. 01_linear_regression); default: all")
    options = parser.parse_args(arguments)
    repository = options.repository or repository_url()
    if not options.repository:
        print(f"warning: no students' repository given (REPO=...): the "
              f"links pull {repository}, which has the solutions.",
              file=sys.stderr)
    known = dict(chapters())
    if options.chapter and options.chapter not in known:
        print(f"no chapter {options.chapter!r}; the chapters are "
              f"{', '.join(known)}", file=sys.stderr)
        return 2
    try:
        links = [(title, hub_link(options.hub, repository, stem,
                                  options.branch))
                 for stem, title in known.items()
                 if options.chapter in (None, stem)]
    except ValueError as error:
        print(f"make hub-links HUB=... : {error}", file=sys.stderr)
        return 2
    for title, link in links:
        print(f"{title}\n  {link}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
