// Chapter 3's live panel in the browser: push a direction v forward and
// pull a covector u back through the warp of the plane, drawn as the
// kernel's JvpVjpScene draws it, with every control working on the
// static page (no kernel). An anywidget front end
// (jacolib.autodiff_figures.JvpVjpField); the maths comes from
// jvp_vjp_maths.mjs, tested against jacolib's to 1e-9.
import { describe, imageOfLine, jvpVjp, levels, LIMIT, number, warp } from "./jvp_vjp_maths.mjs";

const WIDTH = 760, HEIGHT = 420;   // canvas, CSS pixels
const SIDE = 330;                  // each plot is a square this wide
const TOP = 52;                    // room for the sums and the titles
const PLOTS = [{ left: 38, limit: 3.3 },    // input plane, as the kernel
               { left: 418, limit: 3.5 }];  // output plane
const MESH = 61;                   // points per side for the level sets
// Painted on a white background of its own, so that the figure reads
// the same on the theme's dark page (a transparent canvas would put
// its dark strokes on black).
const COLORS = { background: "#ffffff", blue: "#0072B2",
                 orange: "#D55E00", grid: "#bfbfbf", text: "#222222",
                 point: "#000000", frame: "#888888" };

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, value);
  }
  node.textContent = text;
  return node;
}

// --- the controls: four native sliders, each named by its label -------
const SLIDERS = [
  { name: "x1", label: "x₁", min: -2, max: 2, step: 0.05,
    aria: "x₁, the first coordinate of the point x", show: (v) => number(v) },
  { name: "x2", label: "x₂", min: -2, max: 2, step: 0.05,
    aria: "x₂, the second coordinate of the point x", show: (v) => number(v) },
  { name: "v_angle", label: "angle of v", min: 0, max: 360, step: 5,
    aria: "angle of the direction v, in degrees", show: (v) => `${v}°` },
  { name: "u_angle", label: "angle of u", min: 0, max: 360, step: 5,
    aria: "angle of the covector u, in degrees", show: (v) => `${v}°` },
];

function controls(model, el) {
  const bar = element("div", { class: "jacolib-jvp-controls" });
  const shown = SLIDERS.map((s) => {
    const input = element("input", { type: "range", min: String(s.min),
                                     max: String(s.max), step: String(s.step),
                                     "aria-label": s.aria,
                                     "data-name": s.name });
    const text = element("span", { "aria-hidden": "true" });
    const wrap = element("label", {}, s.label + " ");
    wrap.append(input, text);
    bar.appendChild(wrap);
    input.addEventListener("input", () => {
      model.set(s.name, Number(input.value));
      model.save_changes();
    });
    return { s, input, text };
  });
  el.appendChild(bar);
  return () => {  // show the model's values
    for (const { s, input, text } of shown) {
      input.value = model.get(s.name);
      text.textContent = s.show(Number(model.get(s.name)));
    }
  };
}

// --- geometry -----------------------------------------------------------
function view(plot) {
  const scale = SIDE / (2 * plot.limit);
  return { x: (px) => plot.left + (px + plot.limit) * scale,
           y: (py) => TOP + (plot.limit - py) * scale, scale };
}

// Segments of the level sets of ``values`` (MESH x MESH over the
// square [−limit, limit]², row k at x₂ = axis[k]) at ``level``, by
// marching squares with linear interpolation along the cell edges.
function contour(values, axis, level) {
  const segments = [];
  const cross = (a, b, pa, pb) => {
    const t = (level - a) / (b - a);
    return [pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])];
  };
  for (let k = 0; k + 1 < axis.length; k++) {
    for (let j = 0; j + 1 < axis.length; j++) {
      const corners = [[j, k], [j + 1, k], [j + 1, k + 1], [j, k + 1]];
      const points = corners.map(([c, r]) => [axis[c], axis[r]]);
      const v = corners.map(([c, r]) => values[r][c]);
      const hits = [];
      for (let e = 0; e < 4; e++) {
        const a = v[e], b = v[(e + 1) % 4];
        if ((a < level) !== (b < level)) {
          hits.push(cross(a, b, points[e], points[(e + 1) % 4]));
        }
      }
      if (hits.length === 2) { segments.push(hits); }
      if (hits.length === 4) { segments.push(hits.slice(0, 2), hits.slice(2)); }
    }
  }
  return segments;
}

// --- drawing --------------------------------------------------------------
function clipTo(context, plot) {
  context.save();
  context.beginPath();
  context.rect(plot.left, TOP, SIDE, SIDE);
  context.clip();
}

function polyline(context, v, points) {
  context.beginPath();
  points.forEach(([px, py], i) => {
    if (i === 0) { context.moveTo(v.x(px), v.y(py)); }
    else { context.lineTo(v.x(px), v.y(py)); }
  });
  context.stroke();
}

function gridLines(context, v, transform) {
  context.strokeStyle = COLORS.grid;
  context.lineWidth = 0.7;
  const ticks = Array.from({ length: 9 }, (_, i) => -LIMIT + i * LIMIT / 4);
  const along = Array.from({ length: 80 }, (_, i) => -LIMIT + i * 2 * LIMIT / 79);
  for (const k of ticks) {
    polyline(context, v, along.map((t) => transform(t, k)));
    polyline(context, v, along.map((t) => transform(k, t)));
  }
}

function arrow(context, v, base, vector, color, label) {
  const [x0, y0] = [v.x(base[0]), v.y(base[1])];
  const [x1, y1] = [v.x(base[0] + vector[0]), v.y(base[1] + vector[1])];
  context.strokeStyle = color;
  context.fillStyle = color;
  context.lineWidth = 3;
  const angle = Math.atan2(y1 - y0, x1 - x0), head = 10;
  const back = Math.max(Math.hypot(x1 - x0, y1 - y0) - head * 0.8, 0);
  context.beginPath();
  context.moveTo(x0, y0);
  context.lineTo(x0 + back * Math.cos(angle), y0 + back * Math.sin(angle));
  context.stroke();
  context.beginPath();
  context.moveTo(x1, y1);
  context.lineTo(x1 - head * Math.cos(angle - 0.4), y1 - head * Math.sin(angle - 0.4));
  context.lineTo(x1 - head * Math.cos(angle + 0.4), y1 - head * Math.sin(angle + 0.4));
  context.closePath();
  context.fill();
  // Just past the tip, so that the label never hides the arrow.
  const length = Math.max(Math.hypot(...vector), 1e-12);
  const at = [base[0] + vector[0] + 0.3 * vector[0] / length,
              base[1] + vector[1] + 0.3 * vector[1] / length];
  context.fillStyle = COLORS.text;
  context.font = "italic 15px serif";
  context.textAlign = "center";
  context.textBaseline = "middle";
  context.fillText(label, v.x(at[0]), v.y(at[1]));
}

function drawPoint(context, v, p) {
  context.fillStyle = COLORS.point;
  context.beginPath();
  context.arc(v.x(p[0]), v.y(p[1]), 4, 0, 2 * Math.PI);
  context.fill();
}

function dashed(context, v, points) {
  context.strokeStyle = COLORS.blue;
  context.lineWidth = 1.4;
  context.setLineDash([6, 4]);
  polyline(context, v, points);
  context.setLineDash([]);
}

function legend(context, plot, text) {
  const x = plot.left + 8, y = TOP + 8;
  context.font = "italic 14px serif";
  const width = context.measureText(text).width + 44;
  context.fillStyle = "rgba(255, 255, 255, 0.9)";
  context.strokeStyle = COLORS.frame;
  context.lineWidth = 1;
  context.fillRect(x, y, width, 24);
  context.strokeRect(x, y, width, 24);
  context.strokeStyle = COLORS.blue;
  context.lineWidth = 1.4;
  context.setLineDash([6, 4]);
  context.beginPath();
  context.moveTo(x + 6, y + 12);
  context.lineTo(x + 34, y + 12);
  context.stroke();
  context.setLineDash([]);
  context.fillStyle = COLORS.text;
  context.textAlign = "left";
  context.textBaseline = "middle";
  context.fillText(text, x + 40, y + 13);
}

function frameAndLabels(context, plot, title, symbol) {
  context.strokeStyle = COLORS.frame;
  context.lineWidth = 1;
  context.strokeRect(plot.left, TOP, SIDE, SIDE);
  context.fillStyle = COLORS.text;
  context.textAlign = "center";
  context.textBaseline = "alphabetic";
  context.font = "14px sans-serif";
  context.fillText(title, plot.left + SIDE / 2, TOP - 8);
  context.font = "italic 15px serif";
  context.fillText(`${symbol}₁`, plot.left + SIDE / 2, TOP + SIDE + 22);
  context.save();
  context.translate(plot.left - 14, TOP + SIDE / 2);
  context.rotate(-Math.PI / 2);
  context.fillText(`${symbol}₂`, 0, 0);
  context.restore();
  context.font = "12px sans-serif";
  const v = view(plot);
  for (const tick of [-2, 0, 2]) {
    context.fillText(number(tick, 0), v.x(tick), TOP + SIDE + 12);
  }
}

// The level sets of x ↦ ⟨u, f(x)⟩ on the input plane (the one through
// x thick: Jᵀu is normal to it), and the straight lines ⟨u, z⟩ = c on
// the output plane, at the same levels.
function inputLevels(context, v, plot, u, through) {
  const axis = Array.from({ length: MESH },
                          (_, i) => -plot.limit + i * 2 * plot.limit / (MESH - 1));
  const values = axis.map((x2) => axis.map((x1) => {
    const z = warp(x1, x2);
    return u[0] * z[0] + u[1] * z[1];
  }));
  const flat = values.flat();
  const shown = levels(through, Math.min(...flat), Math.max(...flat));
  context.strokeStyle = COLORS.orange;
  for (const level of shown) {
    const thick = Math.abs(level - through) < 1e-9;
    context.globalAlpha = thick ? 0.8 : 0.5;
    context.lineWidth = thick ? 2.5 : 0.8;
    context.beginPath();
    for (const [a, b] of contour(values, axis, level)) {
      context.moveTo(v.x(a[0]), v.y(a[1]));
      context.lineTo(v.x(b[0]), v.y(b[1]));
    }
    context.stroke();
  }
  context.globalAlpha = 1;
}

function outputLevels(context, v, u, through) {
  const along = [-u[1] * 10, u[0] * 10];
  context.strokeStyle = COLORS.orange;
  for (const level of levels(through, -6, 6)) {
    const thick = Math.abs(level - through) < 1e-9;
    context.globalAlpha = thick ? 0.8 : 0.5;
    context.lineWidth = thick ? 2.5 : 0.8;
    polyline(context, v, [[level * u[0] - along[0], level * u[1] - along[1]],
                          [level * u[0] + along[0], level * u[1] + along[1]]]);
  }
  context.globalAlpha = 1;
}

function draw(context, values) {
  const { x1, x2, v_angle: vAngle, u_angle: uAngle } = values;
  const s = jvpVjp(x1, x2, vAngle, uAngle);
  context.fillStyle = COLORS.background;
  context.fillRect(0, 0, WIDTH, HEIGHT);
  context.fillStyle = COLORS.text;
  context.font = "15px sans-serif";
  context.textAlign = "center";
  context.fillText(`⟨u, Jv⟩ = ${number(s.uJv, 3, true)}     ` +
                   `⟨Jᵀu, v⟩ = ${number(s.jtuV, 3, true)}`, WIDTH / 2, 18);
  const [inPlot, outPlot] = PLOTS;
  const vin = view(inPlot), vout = view(outPlot);
  // Left: the input plane.
  clipTo(context, inPlot);
  gridLines(context, vin, (a, b) => [a, b]);
  inputLevels(context, vin, inPlot, s.u, s.u[0] * s.z[0] + s.u[1] * s.z[1]);
  dashed(context, vin, [[x1 - s.v[0], x2 - s.v[1]], [x1 + s.v[0], x2 + s.v[1]]]);
  arrow(context, vin, s.x, s.v, COLORS.blue, "v");
  arrow(context, vin, s.x, s.jtu, COLORS.orange, "Jᵀu");
  drawPoint(context, vin, s.x);
  legend(context, inPlot, "x + tv");
  context.restore();
  frameAndLabels(context, inPlot, "input: x, v and the pull-back Jᵀu", "x");
  // Right: the output plane.
  clipTo(context, outPlot);
  gridLines(context, vout, (a, b) => warp(a, b));
  outputLevels(context, vout, s.u, s.u[0] * s.z[0] + s.u[1] * s.z[1]);
  dashed(context, vout, imageOfLine(x1, x2, vAngle));
  arrow(context, vout, s.z, s.jv, COLORS.blue, "Jv");
  arrow(context, vout, s.z, s.u, COLORS.orange, "u");
  drawPoint(context, vout, s.z);
  legend(context, outPlot, "f(x + tv)");
  context.restore();
  frameAndLabels(context, outPlot, "output: f(x), Jv and the covector u", "z");
}

// --- the widget ---------------------------------------------------------
function render({ model, el }) {
  el.classList.add("jacolib-jvp", "jupyter-widgets");
  const syncControls = controls(model, el);
  const canvas = element("canvas", { role: "img" });
  const ratio = window.devicePixelRatio || 1;
  canvas.width = WIDTH * ratio;
  canvas.height = HEIGHT * ratio;
  canvas.style.width = WIDTH + "px";
  canvas.style.height = HEIGHT + "px";
  el.appendChild(canvas);
  const context = canvas.getContext("2d");
  context.scale(ratio, ratio);
  // Each redraw counts itself and times its maths and drawing, in the
  // element's data-redraws and data-redraw-ms (for the tests and the
  // bench: the kernel panel's budget is 100 ms a redraw).
  const redraw = () => {
    const start = performance.now();
    const values = Object.fromEntries(
      SLIDERS.map((s) => [s.name, Number(model.get(s.name))]));
    draw(context, values);
    // The text alternative: the kernel panel's describe(), word for word.
    canvas.setAttribute("aria-label", describe(values.x1, values.x2,
                                               values.v_angle, values.u_angle));
    syncControls();
    el.dataset.redrawMs = (performance.now() - start).toFixed(2);
    el.dataset.redraws = String(Number(el.dataset.redraws ?? 0) + 1);
  };
  const names = SLIDERS.map((s) => `change:${s.name}`);
  for (const name of names) { model.on(name, redraw); }
  redraw();
  return () => { for (const name of names) { model.off(name, redraw); } };
}

export default { render };
