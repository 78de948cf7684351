"""Print the whole book to one PDF (what `make pdf` runs).

    python tools/print_pdf.py [OUTPUT.pdf]

Builds the book on one page (Sphinx's singlehtml builder, into
_build/singlehtml), serves it on 127.0.0.1, and prints it with Debian's
headless Chromium, the browser the tests use: no browser is downloaded.
The book's print stylesheet (book/_static_local/jacolib.css) drops the
navigation and the controls, opens the solutions and keeps figures whole.
Default output: _build/pdf/book.pdf.
"""

import functools
import http.server
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SINGLE = ROOT / "_build" / "singlehtml"
CHROMIUM = "/usr/bin/chromium"
VIRTUAL_TIME_MS = 120_000  # the page's own clock: MathJax, widgets
PRINT_TIMEOUT = 900  # seconds of real time: a long book on 2 cores


def build_single_page():
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(jupyter_book), "build", ".", "--builder",
                    "singlehtml", "--quiet"], cwd=ROOT, check=True)
    return SINGLE


def page_at_root(folder):
    """The one page, where its links expect it to be.

    The root document is book/intro, so Sphinx writes the page to
    book/intro.html, but with links to _static/ and _images/ relative to
    the build's root: put a copy there."""
    page = folder / "print.html"
    page.write_bytes((folder / "book" / "intro.html").read_bytes())
    return page.name


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def print_to_pdf(folder, output):
    """Chromium's own --print-to-pdf: WebDriver's print times out on a
    page this long. The virtual time budget lets MathJax and the widgets
    finish before the page is printed."""
    page = page_at_root(folder)
    server = serve(folder)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="chromium-print-") as profile:
            subprocess.run(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking",
                 f"--user-data-dir={profile}", "--no-pdf-header-footer",
                 f"--virtual-time-budget={VIRTUAL_TIME_MS}",
                 f"--print-to-pdf={output}",
                 f"http://127.0.0.1:{server.server_address[1]}/{page}"],
                check=True, capture_output=True, timeout=PRINT_TIMEOUT)
    finally:
        server.shutdown()
    return output


def main(arguments):
    output = (Path(arguments[0]).resolve() if arguments
              else ROOT / "_build" / "pdf" / "book.pdf")
    folder = build_single_page()
    print_to_pdf(folder, output)
    print(f"printed the book to {output.relative_to(ROOT)}"
          if output.is_relative_to(ROOT) else f"printed the book to {output}")


if __name__ == "__main__":
    main(sys.argv[1:])
