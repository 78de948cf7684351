// What the book's browser panels share: figures drawn in SVG in the
// look of the kernel's matplotlib figures (the book's style: 100 dpi,
// DejaVu Sans, left and bottom spines, light grid, framed legends,
// dashes that scale with the line width), contour lines by marching
// squares, and labelled sliders bound to a widget model. Sizes in
// points (pt), as matplotlib takes them, are drawn at PT pixels each.

export const PT = 100 / 72;
export const FONT = "'DejaVu Sans', Verdana, Geneva, sans-serif";
export const COLORS = { blue: "#0072B2", orange: "#D55E00",
                        green: "#009E73", black: "#000000",
                        grey: "#808080", shade: "#e0e0e0",
                        grid: "#b0b0b0", frame: "#cccccc", text: "#000000" };
// matplotlib's dash patterns, in units of the line width.
const DASHES = { "-": null, "--": [3.7, 1.6], ":": [1, 1.65],
                 "-.": [6.4, 1.6, 1, 1.6] };
const SVG = "http://www.w3.org/2000/svg";
let figures = 0;  // numbers the clip paths of every figure on the page

export function svgNode(tag, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, value);
  }
  if (parent) { parent.appendChild(node); }
  return node;
}

export function htmlNode(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, value);
  }
  node.textContent = text;
  return node;
}

// --- text with a little TeX ---------------------------------------------
// "$…$" is maths: Latin letters italic, "-" a minus sign, x_j or x_{jk}
// a subscript, x^k or x^{(k)} a superscript. Returns runs of
// { text, italic, level } with level 0, "sub" or "sup".
export function mathRuns(markup) {
  const runs = [];
  const push = (text, italic, level) => {
    const last = runs[runs.length - 1];
    if (last && last.italic === italic && last.level === level) {
      last.text += text;
    } else if (text) { runs.push({ text, italic, level }); }
  };
  let maths = false;
  for (let i = 0; i < markup.length; i++) {
    const char = markup[i];
    if (char === "$") { maths = !maths; continue; }
    if (/\p{M}/u.test(char) && runs.length) {  // a combining accent: w̃
      runs[runs.length - 1].text += char;
      continue;
    }
    if (maths && (char === "_" || char === "^")) {
      let group = markup[i + 1];
      if (group === "{") {
        const close = markup.indexOf("}", i + 2);
        group = markup.slice(i + 2, close);
        i = close;
      } else { i += 1; }
      for (const part of group) {
        push(part === "-" ? "−" : part, /[A-Za-z]/.test(part),
             char === "_" ? "sub" : "sup");
      }
      continue;
    }
    push(maths && char === "-" ? "−" : char,
         maths && /[A-Za-z]/.test(char), 0);
  }
  return runs;
}

const SHIFT = { 0: 0, sub: 0.25, sup: -0.4 };  // of the font size
const runSize = (run, size) => (run.level ? 0.7 * size : size);

// Fills an SVG <text> with the runs of ``markup`` at ``size`` pixels.
export function setMathText(textNode, markup, size) {
  textNode.replaceChildren();
  let offset = 0;
  for (const run of mathRuns(markup)) {
    const target = SHIFT[run.level] * size;
    svgNode("tspan", {
      dy: (target - offset).toFixed(2), "font-size": runSize(run, size),
      "font-style": run.italic ? "italic" : "normal",
    }, textNode).textContent = run.text;
    offset = target;
  }
}

let measuring = null;
// The width in pixels of ``markup`` drawn at ``size`` (for legends).
export function textWidth(markup, size) {
  measuring = measuring || document.createElement("canvas").getContext("2d");
  let width = 0;
  for (const run of mathRuns(markup)) {
    measuring.font = `${run.italic ? "italic " : ""}` +
      `${runSize(run, size)}px ${FONT}`;
    width += measuring.measureText(run.text).width;
  }
  return width;
}

export function text(parent, markup, x, y, size, attributes = {}) {
  const node = svgNode("text", { x, y, "font-size": size, ...attributes },
                       parent);
  setMathText(node, markup, size);
  return node;
}

// --- lines, markers and their styles ------------------------------------
// A line's stroke attributes: colour, width in points, matplotlib style.
export function stroke(color, width, style = "-") {
  const attributes = { stroke: color, "stroke-width": width * PT,
                       fill: "none", "stroke-linejoin": "round" };
  if (DASHES[style]) {
    attributes["stroke-dasharray"] = DASHES[style]
      .map((d) => (d * width * PT).toFixed(2)).join(" ");
  } else { attributes["stroke-linecap"] = "round"; }
  return attributes;
}

// An SVG path through the points (pixels) whose coordinates are finite;
// a non-finite point breaks the line, as in matplotlib.
export function pathThrough(points) {
  let d = "", pen = false;
  for (const [x, y] of points) {
    if (!(Number.isFinite(x) && Number.isFinite(y))) { pen = false; continue; }
    d += `${pen ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`;
    pen = true;
  }
  return d;
}

// A five-pointed star ("*") of ``size`` points, centred at (x, y).
export function starPoints(x, y, size) {
  const outer = size / 2 * PT, inner = outer * 0.381966;
  return Array.from({ length: 10 }, (_, k) => {
    const radius = k % 2 ? inner : outer, angle = Math.PI * k / 5;
    return `${(x + radius * Math.sin(angle)).toFixed(1)},` +
      `${(y - radius * Math.cos(angle)).toFixed(1)}`;
  }).join(" ");
}

// Circles ("o") of ``size`` points at the pixel points, edge included.
export function dots(group, points, color, size) {
  const radius = (size / 2 + 0.5) * PT;
  group.replaceChildren(...points
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    .map(([x, y]) => svgNode("circle", { cx: x.toFixed(1),
                                         cy: y.toFixed(1), r: radius,
                                         fill: color })));
}

// --- figures and axes ---------------------------------------------------
// A white figure of width x height pixels that scales with the page,
// described to screen readers by its aria-label.
export function makeFigure(width, height) {
  figures += 1;
  const svg = svgNode("svg", { viewBox: `0 0 ${width} ${height}`,
                               role: "img", "font-family": FONT,
                               class: "jacolib-panel-figure" });
  svg.style.maxWidth = `${width}px`;
  svgNode("rect", { width, height, fill: "#ffffff" }, svg);
  svg.dataset.figure = String(figures);
  return svg;
}

function scale([low, high], log, from, to) {
  const f = log ? Math.log10 : (v) => v;
  const [u0, u1] = [f(low), f(high)];
  return (v) => from + (f(v) - u0) / (u1 - u0) * (to - from);
}

// Axes at box = [left, top, right, bottom] pixels, with fixed limits and
// ticks: spec { box, xlim, ylim, ylog, xticks, yticks ([value, label]
// pairs), xlabel, ylabel, ylabelX (its centre), title }. Returns
// { x, y, data, title }: the scales from data to pixels, a group
// clipped to the box for what moves, and the title's <text>.
export function makeAxes(svg, spec) {
  const [left, top, right, bottom] = spec.box;
  const x = scale(spec.xlim, false, left, right);
  const y = scale(spec.ylim, spec.ylog, bottom, top);
  const size = 10 * PT;
  const group = svgNode("g", {}, svg);
  const grid = svgNode("g", { ...stroke(COLORS.grid, 0.8),
                              "stroke-opacity": 0.3 }, group);
  const ticks = svgNode("g", stroke(COLORS.black, 0.8), group);
  const labels = svgNode("g", { fill: COLORS.text }, group);
  const tick = 3.5 * PT;
  for (const [value, label] of spec.xticks) {
    const px = x(value).toFixed(1);
    svgNode("line", { x1: px, x2: px, y1: top, y2: bottom }, grid);
    svgNode("line", { x1: px, x2: px, y1: bottom, y2: bottom + tick }, ticks);
    text(labels, label, px, bottom + 2 * tick + 0.77 * size, size,
         { "text-anchor": "middle" });
  }
  for (const [value, label] of spec.yticks) {
    const py = y(value).toFixed(1);
    svgNode("line", { x1: left, x2: right, y1: py, y2: py }, grid);
    svgNode("line", { x1: left - tick, x2: left, y1: py, y2: py }, ticks);
    text(labels, label, left - 2 * tick, Number(py) + 0.36 * size, size,
         { "text-anchor": "end" });
  }
  const id = `jacolib-clip-${svg.dataset.figure}-${left.toFixed(0)}`;
  const clip = svgNode("clipPath", { id }, svgNode("defs", {}, group));
  svgNode("rect", { x: left, y: top, width: right - left,
                    height: bottom - top }, clip);
  const data = svgNode("g", { "clip-path": `url(#${id})` }, group);
  svgNode("path", { d: `M${left} ${top}V${bottom}H${right}`,
                    ...stroke(COLORS.black, 0.8) }, group);  // the spines
  text(labels, spec.xlabel, (left + right) / 2,
       bottom + 2 * tick + 1.4 * size + 5.5 + 0.77 * size, size,
       { "text-anchor": "middle" });
  const ylabel = text(labels, spec.ylabel, 0, 0, size,
                      { "text-anchor": "middle" });
  ylabel.setAttribute("transform", `translate(${spec.ylabelX + 0.36 * size} ` +
                      `${(top + bottom) / 2}) rotate(-90)`);
  const title = text(labels, spec.title, (left + right) / 2,
                     top - 4.6 - 0.24 * 11 * PT, 11 * PT,
                     { "text-anchor": "middle" });
  return { x, y, data, title, box: spec.box, group };
}

// A framed legend inside axes: entries { label, color, width (pt),
// style, marker ("o" and its size) }; loc "upper right", "upper left",
// "upper center" or "lower center"; ``columns`` side by side.
export function legend(axes, entries, { loc, fontsize, columns = 1 }) {
  const size = fontsize * PT, [left, top, right, bottom] = axes.box;
  const pad = 0.4 * size, handle = 2 * size, gap = 0.8 * size;
  const row = 1.1 * size, spacing = 0.5 * size, margin = 0.5 * size;
  const rows = Math.ceil(entries.length / columns);
  const widths = entries.map((e) => handle + gap + textWidth(e.label, size));
  const columnWidths = Array.from({ length: columns }, (_, c) =>
    Math.max(...widths.filter((_, k) => k % columns === c)));
  const width = 2 * pad + columnWidths.reduce((a, b) => a + b, 0) +
    (columns - 1) * 2 * size;
  const height = 2 * pad + rows * row + (rows - 1) * spacing;
  const x0 = loc.endsWith("right") ? right - margin - width
    : loc.endsWith("left") ? left + margin : (left + right - width) / 2;
  const y0 = loc.startsWith("upper") ? top + margin : bottom - margin - height;
  const group = svgNode("g", {}, axes.group);
  svgNode("rect", { x: x0, y: y0, width, height, rx: 0.2 * size,
                    fill: "#ffffff", "fill-opacity": 0.9,
                    stroke: COLORS.frame, "stroke-width": PT }, group);
  entries.forEach((entry, k) => {
    const column = k % columns, line = Math.floor(k / columns);
    const cx = x0 + pad + columnWidths.slice(0, column)
      .reduce((a, b) => a + b + 2 * size, 0);
    const cy = y0 + pad + line * (row + spacing) + row / 2;
    if (entry.style) {
      svgNode("path", { d: `M${cx} ${cy}h${handle}`,
                        ...stroke(entry.color, entry.width, entry.style) },
              group);
    }
    if (entry.marker) {
      dots(svgNode("g", {}, group), [[cx + handle / 2, cy]], entry.color,
           entry.marker);
    }
    text(group, entry.label, cx + handle + gap, cy + 0.36 * size, size,
         { fill: COLORS.text });
  });
  return group;
}

// --- contour lines ------------------------------------------------------
// The level set Z = level of values Z[i][j] at (xs[j], ys[i]), by
// marching squares with linear interpolation along the cells' edges, as
// one SVG path in pixels (px, py map data to pixels). A cell with a
// non-finite corner is skipped; a saddle cell is split by its centre.
export function contourPath(xs, ys, Z, level, px, py) {
  const parts = [];
  const cross = (x0, y0, v0, x1, y1, v1) => {
    const s = (level - v0) / (v1 - v0);
    return [px(x0 + s * (x1 - x0)), py(y0 + s * (y1 - y0))];
  };
  for (let i = 0; i + 1 < ys.length; i++) {
    for (let j = 0; j + 1 < xs.length; j++) {
      const corners = [[xs[j], ys[i], Z[i][j]], [xs[j + 1], ys[i], Z[i][j + 1]],
                       [xs[j + 1], ys[i + 1], Z[i + 1][j + 1]],
                       [xs[j], ys[i + 1], Z[i + 1][j]]];
      if (!corners.every((c) => Number.isFinite(c[2]))) { continue; }
      const above = corners.map((c) => c[2] > level);
      const edges = [];  // where the level crosses an edge, by edge
      for (let e = 0; e < 4; e++) {
        const a = corners[e], b = corners[(e + 1) % 4];
        if (above[e] !== above[(e + 1) % 4]) {
          edges.push([e, cross(...a, ...b)]);
        }
      }
      let pairs = [[0, 1]];
      if (edges.length === 4) {
        const centre = corners.reduce((sum, c) => sum + c[2], 0) / 4;
        pairs = (centre > level) === above[0] ? [[0, 1], [2, 3]]
                                               : [[3, 0], [1, 2]];
      } else if (edges.length !== 2) { continue; }
      for (const [p, q] of pairs) {
        const [a, b] = [edges[p][1], edges[q][1]];
        parts.push(`M${a[0].toFixed(1)} ${a[1].toFixed(1)}` +
                   `L${b[0].toFixed(1)} ${b[1].toFixed(1)}`);
      }
    }
  }
  return parts.join("");
}

// One <path> per level, in the colours the kernel's contour uses.
export function drawContours(group, grid, levels, colors, width, axes) {
  group.replaceChildren(...levels.map((level, k) => svgNode("path", {
    d: contourPath(grid.xs, grid.ys, grid.Z, level, axes.x, axes.y),
    ...stroke(colors[k], width),
  })));
}

// --- controls -------------------------------------------------------------
// A labelled slider bound to the model's ``name``: its range [min, max,
// step] from the model's ``ranges`` (set by the Python class), its value
// shown beside it by ``format``. Arrow keys, Page Up/Down, Home and End
// move it (the browser's own range input). Returns { label, sync }.
export function slider(model, name, { text: label, format }) {
  const [min, max, step] = model.get("ranges")[name];
  const input = htmlNode("input", { type: "range", min, max, step,
                                    "aria-label": label, name });
  const shown = htmlNode("output", { "aria-hidden": "true" });
  const wrap = htmlNode("label", { class: "jacolib-panel-slider" });
  wrap.append(htmlNode("span", {}, label), input, shown);
  input.addEventListener("input", () => {
    model.set(name, Number(input.value));
    model.save_changes();
  });
  const sync = () => {
    const value = model.get(name);
    if (Number(input.value) !== value) { input.value = value; }
    shown.textContent = format(value);
  };
  return { label: wrap, input, sync };
}

// Calls ``redraw`` now and whenever one of ``names`` changes in the
// model; keeps the time of the last redraw (compute and DOM, in ms) and
// the count in the element's data-redraw-ms and data-redraws, for the
// tests and `make bench`. Returns a function that stops listening.
export function redrawOn(model, names, el, redraw) {
  let count = 0;
  const timed = () => {
    const start = performance.now();
    redraw();
    count += 1;
    el.dataset.redrawMs = (performance.now() - start).toFixed(2);
    el.dataset.redraws = String(count);
  };
  for (const name of names) { model.on(`change:${name}`, timed); }
  timed();
  return () => {
    for (const name of names) { model.off(`change:${name}`, timed); }
  };
}
