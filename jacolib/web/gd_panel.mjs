// Chapter 1's live panel, computed and drawn in the browser: gradient
// descent on a 2-D quadratic (gd_quadratic.mjs), in the look of the
// kernel's figure (jacolib.linreg_figures.LearningRateScene): the path
// over the contours, the error per eigen-axis on a log scale, and each
// axis's contraction factor against α. Both sliders work on the book's
// static page, with no kernel. An anywidget front end
// (jacolib.linreg_figures.LearningRatePanel).
import { describeRun, runAt, value } from "./gd_quadratic.mjs";
import { linspace, pyFixed, pyG } from "./py_numbers.mjs";
import { COLORS, PT, dots, drawContours, htmlNode, legend, makeAxes,
         makeFigure, pathThrough, redrawOn, setMathText, slider,
         starPoints, stroke, svgNode } from "./svg_panel.mjs";

const WIDTH = 780, HEIGHT = 340;  // the kernel's 7.8 x 3.4 in at 100 dpi
const RANGE = [-2, -1, 0, 1, 2, 3];
// Boxes [left, top, right, bottom] and label places, in pixels, as
// matplotlib lays out LearningRateScene (tests/test_linreg_figures.py
// compares them).
export const GD_AXES = {
  path: { box: [54.6, 83.6, 229.6, 242.8], xlim: [-2.5, 3.0],
          ylim: [-2.0, 3.0], xticks: [-2, 0, 2].map((v) => [v, minus(v)]),
          yticks: RANGE.map((v) => [v, minus(v)]), xlabel: "$w_1$",
          ylabel: "$w_2$", ylabelX: 11.4, title: " " },
  errors: { box: [325.9, 37.4, 500.9, 289.0], xlim: [0, 30],
            ylim: [1e-8, 1e4], ylog: true,
            xticks: [0, 10, 20, 30].map((v) => [v, String(v)]),
            yticks: [-8, -6, -4, -2, 0, 2, 4].map((p) =>
              [10 ** p, `$10^{${p}}$`]),
            xlabel: "step $k$", ylabel: "$|w̃_j^{(k)} - w̃_j^*|$",
            ylabelX: 266.6, title: "error per eigen-axis" },
  rates: { box: [597.2, 37.4, 772.2, 289.0], xlim: [0, 2.6],
           ylim: [0, 1.6], xticks: [0, 1, 2].map((v) => [v, String(v)]),
           yticks: [0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6]
             .map((v) => [v, v.toFixed(1)]),
           xlabel: "learning rate α", ylabel: "contraction factor per step",
           ylabelX: 552.8, title: "stable while both < 1" },
};

function minus(v) { return String(v).replace("-", "−"); }

// The loss on the grid the kernel contours: plotting.grid_values with
// n = 50 over the view.
function contourGrid(q, xlim, ylim, n = 50) {
  const xs = linspace(...xlim, n), ys = linspace(...ylim, n);
  return { xs, ys, Z: ys.map((y) => xs.map((x) => value(q, [x, y]))) };
}

function drawStatic(svg) {
  const axes = Object.fromEntries(Object.entries(GD_AXES).map(
    ([name, spec]) => [name, makeAxes(svg, spec)]));
  const { x, y, data } = axes.rates;
  const vertical = (a) => `M${x(a)} ${y(0)}V${y(1.6)}`;
  svgNode("path", { d: `M${x(0)} ${y(1)}H${x(2.6)}`,
                    ...stroke(COLORS.grey, 0.8) }, data);
  svgNode("path", { d: vertical(2.0), ...stroke(COLORS.black, 1.2, ":") },
          data);
  const alphas = linspace(0.0, 2.6, 200);
  svgNode("path", { d: pathThrough(alphas.map((a) =>
    [x(a), y(Math.abs(1 - a))])), ...stroke(COLORS.orange, 1.8, "--") },
  data);
  return axes;
}

function drawLegends(axes) {
  legend(axes.errors, [
    { label: "flat axis $λ_1 = 1/κ$", color: COLORS.blue, width: 1.8,
      style: "-" },
    { label: "steep axis $λ_2 = 1$", color: COLORS.orange, width: 1.8,
      style: "--" }], { loc: "upper right", fontsize: 9 });
  legend(axes.rates, [
    { label: "$2/λ_{max}$", color: COLORS.black, width: 1.2, style: ":" },
    { label: "$|1 - α λ_2|$", color: COLORS.orange, width: 1.8,
      style: "--" },
    { label: "$|1 - α λ_1|$", color: COLORS.blue, width: 1.8, style: "-" },
    { label: "current α", color: COLORS.green, width: 2.0, style: "-" }],
  { loc: "upper left", fontsize: 9 });
}

// The artists that move, in the order matplotlib stacks them.
function movingParts(axes) {
  const contours = svgNode("g", {}, axes.path.data);
  const path = svgNode("path", stroke(COLORS.green, 1.2), axes.path.data);
  const marks = svgNode("g", {}, axes.path.data);
  const star = svgNode("polygon", { fill: COLORS.black,
                                    stroke: COLORS.black,
                                    "stroke-width": PT }, axes.path.data);
  const errors = [["-", COLORS.blue], ["--", COLORS.orange]].map(
    ([style, color]) => svgNode("path", stroke(color, 1.8, style),
                                axes.errors.data));
  const flat = svgNode("path", stroke(COLORS.blue, 1.8), axes.rates.data);
  const alpha = svgNode("path", stroke(COLORS.green, 2.0), axes.rates.data);
  return { contours, path, marks, star, errors, flat, alpha };
}

function makeRedraw(model, svg, axes, parts) {
  const scene = model.get("scene");
  let kappaDrawn = null;
  return () => {
    const lr = model.get("learning_rate");
    const kappa = model.get("condition_number");
    const run = runAt(lr, kappa, { w0: scene.w0, nSteps: scene.n_steps });
    const { path: P, errors: E, rates: R } = axes;
    if (kappa !== kappaDrawn) {  // the contours depend on κ only
      drawContours(parts.contours, contourGrid(run.q, GD_AXES.path.xlim,
                                               GD_AXES.path.ylim),
                   scene.levels, scene.colors, 0.8, P);
      parts.flat.setAttribute("d", pathThrough(linspace(0.0, 2.6, 200)
        .map((a, i) => [R.x(a), R.y(run.factors[0][i])])));
      kappaDrawn = kappa;
    }
    const pixels = run.shown.map(([w1, w2]) => [P.x(w1), P.y(w2)]);
    parts.path.setAttribute("d", pathThrough(pixels));
    dots(parts.marks, pixels, COLORS.green, 3);
    parts.star.setAttribute("points", starPoints(P.x(run.minimum[0]),
                                                 P.y(run.minimum[1]), 13));
    setMathText(P.title, `GD path, α = ${pyFixed(lr, 2)}, ★ = min`, 11 * PT);
    run.errors.forEach((row, j) => parts.errors[j].setAttribute("d",
      pathThrough(row.map((e, k) => [E.x(k), E.y(e)]))));
    parts.alpha.setAttribute("d", `M${R.x(lr)} ${R.y(0)}V${R.y(1.6)}`);
    svg.setAttribute("aria-label", describeRun(lr, kappa));
  };
}

function render({ model, el }) {
  // jupyter-widgets: the class of every drawn widget view (anywidget
  // leaves it off), which the book's styles and tests look for.
  el.classList.add("jacolib-panel", "jupyter-widgets");
  el.setAttribute("role", "group");
  el.setAttribute("aria-label", "Live panel: gradient descent on a " +
                  "quadratic, computed in this page");
  const controls = htmlNode("div", { class: "jacolib-panel-controls" });
  const sliders = [
    slider(model, "learning_rate", { text: "learning rate α",
                                     format: (v) => pyFixed(v, 2) }),
    slider(model, "condition_number", { text: "condition number κ",
                                        format: pyG })];
  controls.append(...sliders.map((s) => s.label));
  const svg = makeFigure(WIDTH, HEIGHT);
  el.append(controls, svg);
  const axes = drawStatic(svg);
  const parts = movingParts(axes);
  drawLegends(axes);
  const redraw = makeRedraw(model, svg, axes, parts);
  return redrawOn(model, ["learning_rate", "condition_number"], el, () => {
    sliders.forEach((s) => s.sync());
    redraw();
  });
}

export default { render };
