"""Live panels: a few controls and one figure that redraws in place.

    panel = LivePanel(GDScene, lr=(0.05, 2.5, 0.05, 1.0), kappa=[1, 10])
    panel          # last line of a cell: shows controls and figure

The figure is rendered off-screen (Agg) to PNG bytes in an
``ipywidgets.Image``: an update replaces one picture (no flicker, no
pile of figures) and the last frame is saved with the notebook's widget
state, so the static HTML book shows the figure at the default values.

The figure comes from either
- a function ``draw(fig, **values)`` that draws on a cleared figure
  (simplest; fine for one light axes), or
- a scene class: ``Scene(fig)`` builds the axes, labels and fixed
  limits once; ``scene.update(**values)`` changes the data and returns
  the artists it changed. Only those are redrawn over a cached
  background (blitting), which keeps a three-axes panel under 100 ms:
  axes, ticks and labels are most of matplotlib's drawing time.
"""

import html
import io
import traceback
import warnings

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

STATIC_NOTE = (
    "On this static page the figure is drawn at the default values. To "
    "move the controls, run the page: the rocket icon at the top opens "
    "it on Binder or Colab, or press <em>Live Code</em>.")
# Hidden by its inline style wherever the notebook runs (JupyterLab,
# Colab), where the controls work and the note would mislead; the
# book's own stylesheet (book/_static_local/jacolib.css) shows it.
STATIC_NOTE_HTML = ('<small class="jacolib-static-note" '
                    f'style="display: none">{STATIC_NOTE}</small>')


def make_control(name, spec):
    """A widget from a short spec.

    A widget is used as it is; ``(min, max, step, value)`` of ints makes
    an IntSlider, of numbers a FloatSlider; a list of options a
    Dropdown (first option selected); a bool a Checkbox.
    """
    if isinstance(spec, widgets.ValueWidget):
        return spec
    label = name.replace("_", " ")
    style = {"description_width": "initial"}
    if isinstance(spec, bool):
        return widgets.Checkbox(value=spec, description=label)
    if isinstance(spec, list) and spec:
        return widgets.Dropdown(options=spec, value=spec[0],
                                description=label, style=style)
    if isinstance(spec, tuple) and len(spec) == 4:
        low, high, step, value = spec
        if not low <= value <= high:
            raise ValueError(
                f"control {name!r}: value must lie in [{low}, {high}]; "
                f"got {value}")
        kind = (widgets.IntSlider if all(isinstance(x, int) for x in spec)
                else widgets.FloatSlider)
        return kind(min=low, max=high, step=step, value=value,
                    description=label, style=style,
                    continuous_update=True)
    raise ValueError(
        f"control {name!r}: expected a widget, (min, max, step, value), "
        f"a non-empty list of options or a bool; got {spec!r}")


class _FullRedraw:
    """Adapts ``draw(fig, **values)`` to the scene interface."""

    def __init__(self, fig, draw):
        self.fig, self.draw = fig, draw

    def update(self, **values):
        self.fig.clear()
        self.draw(self.fig, **values)
        return None  # None: draw the whole figure


class LivePanel:
    """Named controls and one figure, redrawn on every change."""

    def __init__(self, draw, figsize=(9.0, 3.4), dpi=80, **controls):
        if not callable(draw):
            raise ValueError(
                f"draw must be a function or a scene class; got {draw!r}")
        if not controls:
            raise ValueError("a LivePanel needs at least one control")
        is_scene = isinstance(draw, type) and hasattr(draw, "update")
        # A scene places its axes once; a layout engine would move them
        # under the cached background.
        self.figure = Figure(figsize=figsize, dpi=dpi,
                             layout="none" if is_scene else None)
        FigureCanvasAgg(self.figure)  # off-screen, outside pyplot
        self.scene = (draw(self.figure) if is_scene
                      else _FullRedraw(self.figure, draw))
        self._background = None
        self.controls = {name: make_control(name, spec)
                         for name, spec in controls.items()}
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = self._layout()
        self.redraw()

    def values(self):
        return {name: c.value for name, c in self.controls.items()}

    def render(self, **values):
        """Draw at ``values`` (defaults: the controls') and return PNG."""
        # Overflow in a diverging run is the result being shown, not a
        # fault: keep such warnings out of the reader's output.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            changed = self.scene.update(**{**self.values(), **values})
            self._draw(changed)
        return self._png()

    def _draw(self, changed):
        canvas = self.figure.canvas
        if changed is None:
            canvas.draw()
            return
        for artist in changed:
            artist.set_animated(True)  # left out of the background
        if self._background is None:
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        canvas.restore_region(self._background)
        for artist in changed:
            self.figure.draw_artist(artist)

    def _png(self):
        canvas = self.figure.canvas
        width, height = canvas.get_width_height()
        frame = Image.frombuffer("RGBA", (width, height),
                                 canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        frame.convert("RGB").save(buffer, format="png")
        return buffer.getvalue()

    def redraw(self):
        try:
            self.image.value = self.render()
            self.status.value = ""
        except Exception as error:  # keep the panel alive; say what broke
            last = traceback.format_exception_only(type(error), error)[-1]
            self.status.value = (
                "<b>Could not draw these values:</b> "
                f"<code>{html.escape(last.strip())}</code>")

    def _on_change(self, change):
        self.redraw()

    def _layout(self):
        note = widgets.HTML(STATIC_NOTE_HTML)
        controls = widgets.HBox(list(self.controls.values()),
                                layout=widgets.Layout(flex_flow="row wrap"))
        return widgets.VBox([controls, self.image, self.status, note])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
