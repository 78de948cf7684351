"""Live panels: a few controls and one figure that redraws in place.

    panel = LivePanel(GDScene, lr=(0.05, 2.5, 0.05, 1.0), kappa=[1, 10])
    panel          # last line of a cell: shows controls and figure

The figure is rendered off-screen (Agg) to PNG bytes in an
``ipywidgets.Image``: an update replaces one picture (no flicker, no
pile of figures) and the last frame is saved with the notebook's widget
state, so the static HTML book shows the figure at the default values.

Without a kernel (the HTML book) the controls cannot redraw. Give
``frames={"lr": [0.5, 1.0, 1.5, 2.0]}`` and that control becomes a
slider over those values whose figures are all drawn in advance, in an
``ipywidgets.Stack`` linked to it in the browser (``jslink``): on the
static page that one slider still moves the figure. Each frame adds
about 50 kB to the page, so keep the list short. The other controls
carry the class ``jacolib-kernel-only``: the book's own script
(book/_static_local) hides them on the static page, and only there, and
the panel's note names them, so the page shows no control that does
nothing.

Every image says what it shows: its accessible text (the image's
``tooltip``, which the book's script turns into the ``alt`` of the
static page's image) is ``scene.describe(**values)`` when the scene has
that method (a sentence with the numbers it shows), else ``alt`` and the
control values, and it changes with them.

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
from traitlets import Unicode

HOW_TO_RUN = ("the rocket icon at the top opens it on Binder or Colab, "
              "or press <em>Live Code</em>.")
STATIC_NOTE = ("On this static page the figure is drawn at the default "
               "values. To move the controls, run the page: " + HOW_TO_RUN)
FRAMES_NOTE = ("On this static page the <b>{}</b> slider moves through "
               "figures drawn in advance, with {} at {} default{}. To "
               "move {} too, run the page: " + HOW_TO_RUN)
ONLY_FRAMES_NOTE = ("On this static page the <b>{}</b> slider moves through "
                    "figures drawn in advance. To compute them live, run "
                    "the page: " + HOW_TO_RUN)
# Hidden by its inline style wherever the notebook runs (JupyterLab,
# Colab), where the controls work and the note would mislead; the
# book's own stylesheet (book/_static_local/jacolib.css) shows it.
NOTE_HTML = ('<small class="jacolib-static-note" '
             'style="display: none">{}</small>')
KERNEL_ONLY = "jacolib-kernel-only"  # inactive on the static page
PALETTE_COLORS = 128  # a palette PNG: a third of the bytes, same look


class DescribedImage(widgets.Image):
    """An ``Image`` whose ``tooltip`` is its text alternative.

    The widget library's views show a tooltip only when the model has a
    ``description``, and an Image has none (its view fails to render at
    all when a tooltip is set): an empty one makes the tooltip the
    image's title, which the book's script turns into its alt."""

    description = Unicode("").tag(sync=True)


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

    def __init__(self, draw, figsize=(9.0, 3.4), dpi=100, frames=None,
                 alt=None, **controls):
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
        if alt is not None and not isinstance(alt, str):
            raise ValueError(f"alt must be a sentence (str); got {alt!r}")
        self.alt = alt or _first_line(draw.__doc__) or "A live figure"
        self._background = None
        self.controls = {name: make_control(name, spec)
                         for name, spec in controls.items()}
        self.frame_name, frame_values = _frames_spec(frames, self.controls)
        self.images = [DescribedImage(format="png")
                       for _ in frame_values or [None]]
        self.status = widgets.HTML()
        if frame_values:
            self._make_frames(frame_values)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = self._layout()
        for index, value in enumerate(frame_values):
            self._show(self.images[index], {self.frame_name: value})
        self.redraw()

    def _make_frames(self, values):
        name, slider = self.frame_name, self.controls[self.frame_name]
        self.controls[name] = widgets.SelectionSlider(
            options=[(f"{value:g}", value) for value in values],
            value=slider.value, description=slider.description,
            style=slider.style, continuous_update=True)
        self.frames = widgets.Stack(self.images,
                                    selected_index=self._frame_index())
        self.frames.add_class("jacolib-frames")  # styled in the book's CSS
        # In the browser: the slider picks the frame with no kernel.
        self._link = widgets.jslink((self.controls[name], "index"),
                                    (self.frames, "selected_index"))

    def _frame_index(self):
        return (self.controls[self.frame_name].index
                if self.frame_name else 0)

    @property
    def image(self):
        """The Image widget showing the current values."""
        return self.images[self._frame_index()]

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
        # Octree: a few ms per frame where median cut takes 20-30.
        frame.convert("RGB").quantize(
            PALETTE_COLORS, method=Image.Quantize.FASTOCTREE).save(
                buffer, format="png")
        return buffer.getvalue()

    def redraw(self):
        if self.frame_name:
            self.frames.selected_index = self._frame_index()
        self._show(self.image, {})

    def describe(self, **values):
        """The image's text alternative at ``values`` (defaults: the
        controls'): what it shows, with the values."""
        values = {**self.values(), **values}
        describe = getattr(self.scene, "describe", None)
        if describe is not None:
            return describe(**values)
        settings = ", ".join(f"{name.replace('_', ' ')} {_short(value)}"
                             for name, value in values.items())
        return f"{self.alt.rstrip('.')}, at {settings}."

    def _show(self, image, values):
        try:
            image.value = self.render(**values)
            image.tooltip = self.describe(**values)
            self.status.value = ""
        except Exception as error:  # keep the panel alive; say what broke
            last = traceback.format_exception_only(type(error), error)[-1]
            self.status.value = (
                "<b>Could not draw these values:</b> "
                f"<code>{html.escape(last.strip())}</code>")

    def _on_change(self, change):
        self.redraw()

    def _layout(self):
        if self.frame_name:
            frame = html.escape(self.controls[self.frame_name].description)
            others = [html.escape(c.description) for name, c in
                      self.controls.items() if name != self.frame_name]
            one = len(others) == 1
            text = (ONLY_FRAMES_NOTE.format(frame) if not others else
                    FRAMES_NOTE.format(frame, _listed(others),
                                       "its" if one else "their",
                                       "" if one else "s",
                                       "it" if one else "them"))
        else:
            text = STATIC_NOTE
        note = widgets.HTML(NOTE_HTML.format(text))
        for name, control in self.controls.items():
            if name != self.frame_name:
                control.add_class(KERNEL_ONLY)
        controls = widgets.HBox(list(self.controls.values()),
                                layout=widgets.Layout(flex_flow="row wrap"))
        view = self.frames if self.frame_name else self.images[0]
        return widgets.VBox([controls, view, self.status, note])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _listed(names):
    """'a', 'a and b', 'a, b and c'."""
    return (names[0] if len(names) == 1 else
            ", ".join(names[:-1]) + " and " + names[-1])


def _first_line(text):
    return (text or "").strip().split("\n\n")[0].replace("\n", " ").strip()


def _short(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def _frames_spec(frames, controls):
    """(name, values) of the one control with precomputed frames."""
    if frames is None:
        return None, []
    if not isinstance(frames, dict) or len(frames) != 1:
        raise ValueError("frames must be {control name: [values]} for one "
                         f"control; got {frames!r}")
    (name, values), = frames.items()
    slider = controls.get(name)
    if not isinstance(slider, (widgets.FloatSlider, widgets.IntSlider)):
        raise ValueError(f"frames: {name!r} must name a slider among "
                         f"{sorted(controls)}; got {slider!r}")
    values = list(values)
    outside = [v for v in values if not slider.min <= v <= slider.max]
    if outside or slider.value not in values:
        raise ValueError(
            f"frames for {name!r}: values must lie in [{slider.min}, "
            f"{slider.max}] and include the default {slider.value}; "
            f"got {values}")
    return name, values
