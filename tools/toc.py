"""The book's table of contents, _toc.yml, as a list of its files."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def toc_files(root=ROOT):
    """Every file _toc.yml lists, in its order, as paths relative to the
    root and without a suffix (the root page first)."""
    def walk(entries):
        for entry in entries:
            if "file" in entry:
                yield entry["file"]
            yield from walk(entry.get("sections", []))
            yield from walk(entry.get("chapters", []))

    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text())
    return [toc["root"], *walk(toc.get("parts", []))]
