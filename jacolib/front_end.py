"""Panels computed and drawn in the browser: every control moves on the
book's static page, with no kernel.

A chapter's panel is an ``anywidget.AnyWidget`` whose traits are its
controls. Its front end is an ES module of ``jacolib/web``: a module of
maths that mirrors jacolib's functions (tested against them through
node) and a widget module that draws, in SVG, the figure of the
kernel's scene. ``esm_bundle("gd_panel")`` joins a module and every
module it imports into one, since a page served as plain files loads
one module per widget. ``PanelWidget`` holds what every such panel
shares: the bundle, the style, and sliders validated to their ranges.
"""

import math
import re
from pathlib import Path

import anywidget
import matplotlib as mpl
import numpy as np
import traitlets

__all__ = ["CSS", "PanelWidget", "contour_colors", "esm_bundle"]

WEB = Path(__file__).resolve().parent / "web"
IMPORT = re.compile(r'^import \{[^}]*\} from\s+"\./([\w-]+)\.mjs";\n',
                    re.MULTILINE)


def esm_bundle(entry):
    """The module web/<entry>.mjs with the modules it imports (and
    theirs) before it, their import lines removed: one module."""
    order = []

    def visit(name, path=()):
        if name in path:
            raise RuntimeError(f"web modules import in a cycle: "
                               f"{' -> '.join(path + (name,))}")
        if name in order:
            return
        source = (WEB / f"{name}.mjs").read_text()
        for imported in IMPORT.findall(source):
            visit(imported, path + (name,))
        order.append(name)

    visit(entry)
    parts = [IMPORT.sub("", (WEB / f"{name}.mjs").read_text())
             for name in order]
    bundle = "\n".join(parts)
    if re.search(r"^import ", bundle, re.MULTILINE):
        raise RuntimeError(f"{entry}: an import the bundle cannot join "
                           "(write it as import {{ ... }} from \"./x.mjs\")")
    return bundle


def contour_colors(levels):
    """The colours matplotlib gives contour lines at ``levels`` in the
    book's style (viridis, spread linearly from the lowest level to the
    highest), as hex strings for the browser's copy of a figure."""
    levels = np.asarray(levels, dtype=np.float64)
    norm = mpl.colors.Normalize(levels.min(), levels.max())
    return [mpl.colors.to_hex(color)
            for color in mpl.colormaps["viridis"](norm(levels))]


# The panel is a white card in both of the book's themes (its figure
# must read as the kernel's does); keyboard focus always shows.
CSS = """
.jacolib-panel { background: #ffffff; color: #000000; color-scheme: light;
  border: 1px solid #cccccc; border-radius: 4px; padding: 0.5rem;
  max-width: 100%; box-sizing: border-box; font-size: 0.9rem; }
.jacolib-panel-controls { display: flex; flex-wrap: wrap;
  gap: 0.3rem 1.5rem; align-items: center; margin-bottom: 0.3rem; }
.jacolib-panel-slider { display: inline-flex; align-items: center;
  gap: 0.5rem; margin: 0; }
.jacolib-panel-slider input { width: 11rem; accent-color: #0072B2; }
.jacolib-panel-slider output { min-width: 3.2em;
  font-variant-numeric: tabular-nums; }
.jacolib-panel-figure { display: block; width: 100%; height: auto; }
.jacolib-panel-figure .jacolib-drag { cursor: crosshair;
  touch-action: none; }
.jacolib-panel :focus-visible { outline: 3px solid
  var(--pst-color-accent, #c45a00) !important; outline-offset: 2px; }
@media print { .jacolib-panel-controls { display: none; }
  .jacolib-panel { border: none; padding: 0; } }
"""


class PanelWidget(anywidget.AnyWidget):
    """The base of the book's browser panels.

    A subclass sets ``_esm`` (``esm_bundle(...)``), its controls as
    ``traitlets.Float(default).tag(sync=True)``, and ``RANGES``: for
    each control, (min, max, step) of its slider. The ranges go to the
    front end (trait ``ranges``), and a value outside them is refused
    with an error that names the control and its range.
    """

    RANGES = {}
    _css = traitlets.Unicode(CSS).tag(sync=True)
    ranges = traitlets.Dict().tag(sync=True)

    def __init__(self, **values):
        unknown = sorted(set(values) - set(self.RANGES))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} has no control {unknown[0]!r}; "
                f"its controls are {sorted(self.RANGES)}")
        super().__init__(ranges={name: list(spec) for name, spec
                                 in self.RANGES.items()}, **values)

    @traitlets.validate("ranges")
    def _fixed_ranges(self, proposal):
        expected = {name: list(spec) for name, spec in self.RANGES.items()}
        if proposal.value != expected:
            raise traitlets.TraitError(
                f"ranges are fixed by the class: {expected}")
        return proposal.value

    def _validate_control(self, name, value):
        low, high, _ = self.RANGES[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or not low <= value <= high:
            raise traitlets.TraitError(
                f"{name} must be a number in [{low:g}, {high:g}] (its "
                f"slider's range); got {value!r}")
        return float(value)

    def values(self):
        """The controls' current values, by name."""
        return {name: getattr(self, name) for name in self.RANGES}
