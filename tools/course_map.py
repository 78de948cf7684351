"""The map of the chapters: which chapter needs which (the figure on the
instructors' page, book/figures/chapter_map.svg).

    python tools/course_map.py     (writes the figure; the tests check it
                                    is the one this data draws)

``NEEDS`` is the one record of the dependencies: a chapter lists the
chapters whose ideas it uses, each with what it takes from them.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIGURE = ROOT / "book" / "figures" / "chapter_map.svg"
SPACING, WIDTH, HEIGHT = 2.0, 1.7, 0.7  # columns, boxes: data units
FIG_WIDTH = 10.6  # inches; the axes fill 0.775 of it (matplotlib default)
X_SPAN = 5 * SPACING + 2.0
POINTS_PER_UNIT = 72 * FIG_WIDTH * 0.775 / X_SPAN
# Arrows that would cross a box bend around it.
BENDS = {}

# Chapter file stem: (short title, column, row) for the drawing.
CHAPTERS = {
    "01_linear_regression": ("1 Linear regression\nand GD dynamics", 0, 2),
    "02_1_taylor_hessian": ("2.1 Taylor models,\nthe Hessian", 1, 2),
    "02_2_gauss_newton_response": ("2.2 Gauss-Newton,\nresponse Jacobian",
                                   1, 3.1),
    "03_vjp_jvp_hvp": ("3 VJP, JVP\nand HVP", 2, 2),
    "04_backprop_computation_graphs": ("4 Backpropagation\non graphs", 3, 2),
    "05_loss_geometry": ("5 The geometry\nof losses", 2, 0.9),
    "06_destroying_restoring_jacobian": ("6 Destroying and\nrestoring the\n"
                                         "Jacobian", 4, 1.3),
    "07_inverse_free_pdm": ("7 The relative\ngradient", 4, 3.1),
    "08_gradient_alignment": ("8 Why gradients\nalign", 5, 2.1),
}
# chapter: {chapter it needs: what it takes from it}
NEEDS = {
    "02_1_taylor_hessian": {
        "01_linear_regression": "eigendecomposition, the threshold 2/λmax"},
    "02_2_gauss_newton_response": {
        "02_1_taylor_hessian": "Jacobian, Hessian, Taylor models"},
    "03_vjp_jvp_hvp": {
        "02_1_taylor_hessian": "the Jacobian and the Hessian"},
    "04_backprop_computation_graphs": {
        "03_vjp_jvp_hvp": "reverse mode, the VJP"},
    "05_loss_geometry": {
        "01_linear_regression": "gradient descent and its step size"},
    "06_destroying_restoring_jacobian": {
        "04_backprop_computation_graphs": "the backward pass of layers",
        "03_vjp_jvp_hvp": "JVPs as forward measurements",
        "05_loss_geometry": "MSE and cosine losses"},
    "07_inverse_free_pdm": {
        "02_1_taylor_hessian": "the Jacobian of a map",
        "04_backprop_computation_graphs": "gradients of layers"},
    "08_gradient_alignment": {
        "04_backprop_computation_graphs": "per-layer gradients",
        "06_destroying_restoring_jacobian": "distorted backward passes"},
}


def prerequisites(chapter):
    """Every chapter that ``chapter`` needs, directly or through others."""
    found, stack = set(), [chapter]
    while stack:
        for needed in NEEDS.get(stack.pop(), {}):
            if needed not in found:
                found.add(needed)
                stack.append(needed)
    return found


def describe():
    """The map in words (the figure's alt text)."""
    parts = [f"chapter {CHAPTERS[c][0].split()[0]} needs "
             + " and ".join(CHAPTERS[n][0].split()[0] for n in needs)
             for c, needs in NEEDS.items()]
    return ("The chapters as boxes, an arrow from each chapter to the ones "
            "that build on it: " + "; ".join(parts) + ".")


def _reach(column, y, other_column, other_y, width, height,
           spacing=None):
    """How far (in points) an arrow leaving a box's centre travels
    inside the box, toward the other box: it starts at the edge."""
    dx = (other_column - column) * (spacing or SPACING)
    dy = other_y - y
    scale = min(width / 2 / abs(dx) if dx else float("inf"),
                height / 2 / abs(dy) if dy else float("inf"))
    inside = scale * (dx * dx + dy * dy) ** 0.5  # data units
    return inside * POINTS_PER_UNIT + 3


def draw():
    plt.rcParams.update({"svg.hashsalt": "jacolib-chapter-map",
                         "svg.fonttype": "none", "font.size": 8.5})
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.2))
    spacing = SPACING  # between columns, in the units of the rows
    ax.set(xlim=(-1.0, X_SPAN - 1.0), ylim=(0.4, 3.7))
    ax.axis("off")
    width, height = WIDTH, HEIGHT
    for title, column, y in CHAPTERS.values():
        x = column * spacing
        ax.add_patch(FancyBboxPatch(
            (x - width / 2, y - height / 2), width, height,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor="#EAF2FA", edgecolor="#0072B2", linewidth=1.2))
        ax.text(x, y, title, ha="center", va="center")
    for chapter, needs in NEEDS.items():
        _, c1, y1 = CHAPTERS[chapter]
        for needed in needs:
            _, c0, y0 = CHAPTERS[needed]
            ax.add_patch(FancyArrowPatch(
                (c0 * spacing, y0), (c1 * spacing, y1),
                arrowstyle="-|>", mutation_scale=12, color="#333333",
                linewidth=1.0, patchA=None, patchB=None,
                shrinkA=_reach(c0, y0, c1, y1, width, height),
                shrinkB=_reach(c1, y1, c0, y0, width, height),
                connectionstyle=f"arc3,rad="
                                f"{BENDS.get((chapter, needed), 0.0)}"))
    ax.set_title("Which chapter needs which: an arrow points from a "
                 "chapter to one that uses it")
    return fig


def svg_text():
    """The figure as SVG text, drawn with matplotlib's defaults whatever
    style the calling process has set (the tests run after jacolib's)."""
    import io
    with matplotlib.rc_context(matplotlib.rcParamsDefault):
        fig = draw()
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None},
                    bbox_inches="tight")
        plt.close(fig)
    return out.getvalue()


def main():
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    FIGURE.write_text(svg_text())
    print(f"wrote {FIGURE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
