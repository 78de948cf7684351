// Chapter 2's live panel, computed and drawn in the browser: a point w
// and a direction d = (cos ψ, sin ψ) on the valley loss, the line
// w + t d over its contours (grey where the Hessian has a negative
// eigenvalue), and the loss along the line with its first- and
// second-order Taylor models (taylor_lines.mjs), in the look of the
// kernel's figure (jacolib.curvature_figures.TaylorScene). Every control
// works on the book's static page: the three sliders, and a drag of the
// point on the map. An anywidget front end
// (jacolib.curvature_figures.TaylorPanel).
import { curvedDoubleWell, describeLine, direction, shownChanges, signed,
         smallestHessianEigenvalue, taylorModels } from "./taylor_lines.mjs";
import { linspace, pyG } from "./py_numbers.mjs";
import { COLORS, PT, dots, drawContours, htmlNode, legend, makeAxes,
         makeFigure, pathThrough, redrawOn, setMathText, slider, stroke,
         svgNode } from "./svg_panel.mjs";

const WIDTH = 900, HEIGHT = 340;  // the kernel's 9 x 3.4 in at 100 dpi
const HALVES = [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5];
const tickLabel = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1))
  .replace("-", "−");
// Boxes [left, top, right, bottom] and label places, in pixels, as
// matplotlib lays out TaylorScene (tests/test_curvature_figures.py
// compares them).
export const TAYLOR_AXES = {
  map: { box: [97.2, 40.8, 345.4, 289.0], xlim: [-2.0, 2.0],
         ylim: [-1.5, 2.5], xticks: [-2, -1, 0, 1, 2].map((v) => [v, tickLabel(v)]),
         yticks: [...HALVES, 2.0, 2.5].map((v) => [v, v.toFixed(1)
           .replace("-", "−")]),
         xlabel: "$w_1$", ylabel: "$w_2$", ylabelX: 41.0,
         title: "loss $L(w)$; grey: $H$ not PSD" },
  line: { box: [486.3, 40.8, 882.0, 289.0], xlim: [-1.5, 1.5],
          ylim: [-2.0, 3.0],
          xticks: HALVES.map((v) => [v, v.toFixed(1).replace("-", "−")]),
          yticks: [-2, -1, 0, 1, 2, 3].map((v) => [v, tickLabel(v)]),
          xlabel: "position $t$ along $d$", ylabel: "$L(w + t d) - L(w)$",
          ylabelX: 442.9, title: " " },
};

// The region where the Hessian has a negative eigenvalue, as one
// polygon: on each of ``rows`` lines of constant w₂, the first and the
// last of ``columns`` points where λmin < 0 (here a single interval per
// line: the region is w₂ > 2 w₁² − ½).
function negativeRegion(axes, [x0, x1], [y0, y1], rows = 240, columns = 240) {
  const left = [], right = [];
  for (let r = 0; r <= rows; r++) {
    const w2 = y0 + (y1 - y0) * r / rows;
    let first = -1, last = -1;
    for (let c = 0; c <= columns; c++) {
      if (smallestHessianEigenvalue(x0 + (x1 - x0) * c / columns, w2) < 0) {
        if (first < 0) { first = c; }
        last = c;
      }
    }
    if (first >= 0) {
      const at = (c) => axes.x(x0 + (x1 - x0) * c / columns).toFixed(1);
      left.push(`${at(first)},${axes.y(w2).toFixed(1)}`);
      right.unshift(`${at(last)},${axes.y(w2).toFixed(1)}`);
    }
  }
  return [...left, ...right].join(" ");
}

function drawStatic(svg, scene) {
  const axes = Object.fromEntries(Object.entries(TAYLOR_AXES).map(
    ([name, spec]) => [name, makeAxes(svg, spec)]));
  const { map, line } = axes;
  svgNode("polygon", { points: negativeRegion(map, TAYLOR_AXES.map.xlim,
                                              TAYLOR_AXES.map.ylim),
                       fill: COLORS.shade }, map.data);
  const xs = linspace(...TAYLOR_AXES.map.xlim, 60);
  const ys = linspace(...TAYLOR_AXES.map.ylim, 60);
  const grid = { xs, ys, Z: ys.map((w2) => xs.map((w1) =>
    curvedDoubleWell(w1, w2))) };
  drawContours(svgNode("g", {}, map.data), grid, scene.levels,
               scene.colors, 0.8, map);
  svgNode("path", { d: `M${line.x(-1.5)} ${line.y(0)}H${line.x(1.5)}`,
                    ...stroke(COLORS.grey, 0.8) }, line.data);
  return axes;
}

const CURVES = [["loss", COLORS.blue, "-"],
                ["first-order model", COLORS.orange, "--"],
                ["second-order model", COLORS.green, ":"]];

function drawLegends(axes) {
  legend(axes.map, [
    { label: "$w + t d$", color: COLORS.orange, width: 1.5, style: "-" },
    { label: "the point $w$", color: COLORS.black, marker: 6 }],
  { loc: "lower center", fontsize: 9.5, columns: 2 });
  legend(axes.line, CURVES.map(([text, color, style]) =>
    ({ label: text, color, width: 2, style })),
  { loc: "upper center", fontsize: 9.5 });
}

function movingParts(axes) {
  return {
    line: svgNode("path", stroke(COLORS.orange, 1.5), axes.map.data),
    point: svgNode("g", {}, axes.map.data),
    curves: CURVES.map(([, color, style]) =>
      svgNode("path", stroke(color, 2, style), axes.line.data)),
  };
}

function makeRedraw(model, svg, axes, parts, steps) {
  return () => {
    const [w1, w2, angle] = ["w1", "w2", "angle"].map((n) => model.get(n));
    const d = direction(angle);
    const models = taylorModels([w1, w2], d, steps);
    const { map, line } = axes;
    const ends = [steps[0], steps[steps.length - 1]].map((t) =>
      [map.x(w1 + t * d[0]), map.y(w2 + t * d[1])]);
    parts.line.setAttribute("d", pathThrough(ends));
    dots(parts.point, [[map.x(w1), map.y(w2)]], COLORS.black, 6);
    shownChanges(models).forEach((curve, k) => parts.curves[k].setAttribute(
      "d", pathThrough(curve.map((v, i) => [line.x(steps[i]), line.y(v)]))));
    setMathText(line.title, `slope $g^{⊤}d$ = ${signed(models.slope)},  ` +
                `curvature $d^{⊤}Hd$ = ${signed(models.curvature)}`, 11 * PT);
    svg.setAttribute("aria-label", describeLine(w1, w2, angle));
  };
}

// Pressing or dragging on the map moves w there, on the sliders' grid.
function dragPoint(model, svg, map) {
  const [left, top, right, bottom] = map.box;
  const target = svgNode("rect", { x: left, y: top, width: right - left,
                                   height: bottom - top, fill: "none",
                                   "pointer-events": "all",
                                   class: "jacolib-drag" }, svg);
  const ranges = model.get("ranges");
  const snap = (v, [low, high, step]) => Number(Math.min(high, Math.max(
    low, Math.round(v / step) * step)).toFixed(10));
  const moveTo = (event) => {
    const box = svg.getBoundingClientRect();
    const px = (event.clientX - box.left) / box.width * WIDTH;
    const py = (event.clientY - box.top) / box.height * HEIGHT;
    const [x0, x1] = TAYLOR_AXES.map.xlim, [y0, y1] = TAYLOR_AXES.map.ylim;
    model.set("w1", snap(x0 + (px - left) / (right - left) * (x1 - x0),
                         ranges.w1));
    model.set("w2", snap(y0 + (bottom - py) / (bottom - top) * (y1 - y0),
                         ranges.w2));
    model.save_changes();
  };
  let dragging = false;
  target.addEventListener("pointerdown", (event) => {
    dragging = true;
    target.setPointerCapture(event.pointerId);
    moveTo(event);
  });
  target.addEventListener("pointermove", (event) => {
    if (dragging) { moveTo(event); }
  });
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    target.addEventListener(type, () => { dragging = false; });
  }
}

function render({ model, el }) {
  // jupyter-widgets: the class of every drawn widget view (anywidget
  // leaves it off), which the book's styles and tests look for.
  el.classList.add("jacolib-panel", "jupyter-widgets");
  el.setAttribute("role", "group");
  el.setAttribute("aria-label", "Live panel: a Taylor model along a line " +
                  "on the valley loss, computed in this page");
  const controls = htmlNode("div", { class: "jacolib-panel-controls" });
  const two = (v) => v.toFixed(2);
  const sliders = [
    slider(model, "w1", { text: "w₁ (the point)", format: two }),
    slider(model, "w2", { text: "w₂ (the point)", format: two }),
    slider(model, "angle", { text: "angle ψ of d (degrees)",
                             format: (v) => `${pyG(v)}°` })];
  controls.append(...sliders.map((s) => s.label));
  const svg = makeFigure(WIDTH, HEIGHT);
  el.append(controls, svg);
  const scene = model.get("scene");
  const axes = drawStatic(svg, scene);
  const parts = movingParts(axes);
  drawLegends(axes);
  dragPoint(model, svg, axes.map);
  const redraw = makeRedraw(model, svg, axes, parts, scene.steps);
  return redrawOn(model, ["w1", "w2", "angle"], el, () => {
    sliders.forEach((s) => s.sync());
    redraw();
  });
}

export default { render };
