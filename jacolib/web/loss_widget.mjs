// Chapter 5's interactive field, computed in the browser: the negative
// gradient of a loss on a 25x25 grid, particles doing gradient descent
// on it, and the fixed point (the target y, or the prediction x when the
// field is taken with respect to y) dragged with the mouse or moved with
// the arrow keys. It needs no kernel: on the book's static page every
// control works. An anywidget front end (jacolib.losses_figures
// .LossField); the fields come from loss_fields.mjs, the same losses as
// jacolib.losses.
import { fieldAt, LOSSES, USES_NU, gridAxis, medianSize } from "./loss_fields.mjs";

const SIZE = 440;          // canvas side, CSS pixels
const GRID = 25;           // arrows per side
const PARTICLES = 160;
const LIFETIME = 150;      // frames before a particle is reborn
// The canvas paints its own white background, so that it reads the
// same on a light page and on the theme's dark one (html[data-theme=
// dark]): a transparent canvas would put these dark strokes on black.
const COLORS = { background: "#ffffff", arrow: "#0072B2",
                 particle: "#D55E00", fixed: "#000000", axis: "#888888",
                 text: "#222222" };
const SHADE = 60;          // background cells per side (the loss's level)
// The fixed point keeps at least this norm: at 0 the losses that divide
// by ‖y‖ (or by ‖x‖, for the field over y) are undefined everywhere.
const MIN_NORM = 1e-3;

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, value);
  }
  node.textContent = text;
  return node;
}

// --- the controls above the plot -------------------------------------
// Every control is a native one (keyboard and focus come with it) and
// has a name that begins with its visible label.
function makeControls() {
  const loss = element("select", { "aria-label": "loss" });
  for (const name of Object.keys(LOSSES)) {
    loss.appendChild(element("option", { value: name }, name));
  }
  const wrt = element("select",
                      { "aria-label": "gradient with respect to" });
  wrt.appendChild(element("option", { value: "x" }, "∇ with respect to x"));
  wrt.appendChild(element("option", { value: "y" }, "∇ with respect to y"));
  return {
    loss, wrt,
    nu: element("input", { type: "range", min: "0", max: "2",
                           step: "0.05",
                           "aria-label": "ν, the exponent of GenSim" }),
    nuText: element("span", { "aria-hidden": "true" }),
    useLog: element("input", { type: "checkbox",
                               "aria-label": "log ℓ: the log of the loss" }),
    lr: element("input", { type: "range", min: "0.005", max: "0.2",
                           step: "0.005",
                           "aria-label": "step α of the particles" }),
    lrText: element("span", { "aria-hidden": "true" }),
  };
}

function controls(model, el) {
  const c = makeControls();
  const label = (text, control, extra) => {
    const wrap = element("label", {}, text + " ");
    wrap.appendChild(control);
    if (extra) { wrap.appendChild(extra); }
    return wrap;
  };
  const bar = element("div", { class: "jacolib-field-controls" });
  bar.append(label("loss", c.loss), label("ν", c.nu, c.nuText),
             label("log ℓ", c.useLog), c.wrt, label("step α", c.lr, c.lrText));
  el.appendChild(bar);
  const set = (name, value) => {
    model.set(name, value);
    model.save_changes();
  };
  c.loss.addEventListener("change", () => set("loss", c.loss.value));
  c.nu.addEventListener("input", () => set("nu", Number(c.nu.value)));
  c.useLog.addEventListener("change", () => set("log", c.useLog.checked));
  c.wrt.addEventListener("change", () => set("wrt", c.wrt.value));
  c.lr.addEventListener("input", () => set("lr", Number(c.lr.value)));
  return () => {  // show the model's values
    const name = model.get("loss");
    const logAllowed = model.get("log_allowed")[name];
    c.loss.value = name;
    c.nu.value = model.get("nu");
    c.nuText.textContent = Number(model.get("nu")).toFixed(2);
    c.nu.disabled = !USES_NU[name];
    c.nu.title = USES_NU[name] ? "" : "ν is used by the GenSim loss only";
    c.useLog.checked = model.get("log");
    c.useLog.disabled = !logAllowed;
    c.useLog.title = logAllowed ? "" : "log ℓ is undefined for this loss " +
      "(ℓ ≤ 0 on a whole region)";
    c.wrt.value = model.get("wrt");
    c.lr.value = model.get("lr");
    c.lrText.textContent = Number(model.get("lr")).toFixed(3);
  };
}

// --- the field, its arrows and the background shading -----------------
function computeArrows(at, half) {
  const axis = gridAxis(half, GRID);
  const arrows = [];
  for (const px of axis) {
    for (const py of axis) {
      const [value, gx, gy] = at(px, py);
      arrows.push({ px, py, value, gx, gy, size: Math.hypot(gx, gy) });
    }
  }
  // What the description says besides the median: the points with no
  // arrow (an undefined log) and a field that is zero everywhere.
  const undefined = arrows.filter((a) => Number.isNaN(a.size)).length;
  const zero = arrows.every((a) => !(a.size > 0));
  // Length grows with the size, up to most of a cell, relative to the
  // median size: a field that explodes somewhere still shows its
  // directions everywhere. The caption prints the median.
  const typical = medianSize(arrows.map((a) => a.size));
  const spacing = 2 * half / GRID;
  for (const arrow of arrows) {
    arrow.length = 0.8 * spacing * Math.tanh(arrow.size / typical);
  }
  return { arrows, typical, undefined, zero };
}

// The loss itself as a faint background: light where it is low, by
// rank, so that a loss that explodes somewhere still shows its shape.
function shadeLevels(shade, at, half) {
  const values = [];
  for (let row = 0; row < SHADE; row++) {
    for (let col = 0; col < SHADE; col++) {
      values.push(at(-half + (col + 0.5) * 2 * half / SHADE,
                     half - (row + 0.5) * 2 * half / SHADE)[0]);
    }
  }
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const image = shade.getContext("2d").createImageData(SHADE, SHADE);
  values.forEach((value, k) => {
    let rank = 0.5;
    if (Number.isFinite(value) && sorted.length > 1) {
      let low = 0, high = sorted.length - 1;
      while (low < high) {  // binary search for the value's rank
        const mid = (low + high) >> 1;
        if (sorted[mid] < value) { low = mid + 1; } else { high = mid; }
      }
      rank = low / (sorted.length - 1);
    }
    const tone = 255 - Math.round(55 * rank);  // white to light grey-blue
    image.data.set([tone - 10, tone - 4, 255, 255], 4 * k);
  });
  shade.getContext("2d").putImageData(image, 0, 0);
}

// --- particles ----------------------------------------------------------
function randomParticle(half, age) {
  return { p: [(Math.random() * 2 - 1) * half, (Math.random() * 2 - 1) * half],
           trail: [], age: age ?? Math.floor(Math.random() * LIFETIME) };
}

function stepParticles(particles, at, lr, half) {
  for (let k = 0; k < particles.length; k++) {
    const particle = particles[k];
    const [, gx, gy] = at(particle.p[0], particle.p[1]);
    const next = [particle.p[0] + lr * gx, particle.p[1] + lr * gy];
    const outside = !Number.isFinite(next[0] + next[1]) ||
      Math.abs(next[0]) > half || Math.abs(next[1]) > half;
    particle.age += 1;
    if (outside || particle.age > LIFETIME) {
      particles[k] = randomParticle(half, 0);
      continue;
    }
    particle.trail.push(next);
    if (particle.trail.length > 12) { particle.trail.shift(); }
    particle.p = next;
  }
}

// --- drawing --------------------------------------------------------------
function makeView(half) {
  return { half, unit: SIZE / (2 * half),
           x: (px) => (px + half) / (2 * half) * SIZE,
           y: (py) => (half - py) / (2 * half) * SIZE,
           toPlane: (s) => s / SIZE * 2 * half - half };
}

function drawAxes(context, view, symbol) {
  context.strokeStyle = COLORS.axis;
  context.lineWidth = 1;
  const ox = view.x(0), oy = view.y(0);
  context.beginPath();
  context.moveTo(0, oy); context.lineTo(SIZE, oy);
  context.moveTo(ox, 0); context.lineTo(ox, SIZE);
  context.stroke();
  context.fillStyle = COLORS.text;
  context.font = "italic 15px serif";
  context.fillText(`${symbol}₁`, SIZE - 24, oy - 8);
  context.fillText(`${symbol}₂`, ox + 8, 18);
  context.font = "12px sans-serif";
  context.fillText(String(view.half), SIZE - 18, oy + 16);
  context.fillText(String(view.half), ox - 18, 14);
}

function drawArrow(context, x0, y0, x1, y1) {
  context.beginPath();
  context.moveTo(x0, y0);
  context.lineTo(x1, y1);
  context.stroke();
  const angle = Math.atan2(y1 - y0, x1 - x0), head = 4;
  context.beginPath();
  context.moveTo(x1, y1);
  context.lineTo(x1 - head * Math.cos(angle - 0.45),
                 y1 - head * Math.sin(angle - 0.45));
  context.lineTo(x1 - head * Math.cos(angle + 0.45),
                 y1 - head * Math.sin(angle + 0.45));
  context.closePath();
  context.fill();
}

function drawArrows(context, view, arrows) {
  context.strokeStyle = COLORS.arrow;
  context.fillStyle = COLORS.arrow;
  context.lineWidth = 1.4;
  for (const a of arrows) {
    if (!Number.isFinite(a.size) || a.size === 0) { continue; }
    const sx = view.x(a.px), sy = view.y(a.py);
    const dx = a.gx / a.size * a.length * view.unit;
    const dy = -a.gy / a.size * a.length * view.unit;
    drawArrow(context, sx - dx / 2, sy - dy / 2, sx + dx / 2, sy + dy / 2);
  }
}

function drawParticles(context, view, particles) {
  context.strokeStyle = COLORS.particle;
  context.fillStyle = COLORS.particle;
  context.lineWidth = 1;
  for (const particle of particles) {
    if (particle.trail.length > 1) {
      context.beginPath();
      const [first, ...rest] = particle.trail;
      context.moveTo(view.x(first[0]), view.y(first[1]));
      for (const q of rest) { context.lineTo(view.x(q[0]), view.y(q[1])); }
      context.stroke();
    }
    context.beginPath();
    context.arc(view.x(particle.p[0]), view.y(particle.p[1]), 1.8, 0,
                2 * Math.PI);
    context.fill();
  }
}

function drawFixed(context, view, [fx, fy], symbol) {
  const px = view.x(fx), py = view.y(fy);
  context.fillStyle = COLORS.fixed;
  context.strokeStyle = "#ffffff";
  context.lineWidth = 2;
  context.beginPath();
  context.arc(px, py, 7, 0, 2 * Math.PI);
  context.fill();
  context.stroke();
  context.font = "italic 15px serif";
  // Beside the point, on the side that stays inside the canvas.
  const lx = px > SIZE - 24 ? px - 20 : px + 10;
  const ly = py < 22 ? py + 22 : py - 8;
  context.fillText(symbol, lx, ly);
}

// --- the caption and the canvas's description -------------------------
function lossParts(name, useLog, nu) {
  // GenSim_ν with a real subscript; "log (…)" around a name with spaces.
  const base = name === "GenSim_ν" ? ["GenSim", { sub: "ν" }, " loss"]
                                   : [name];
  const named = !useLog ? base
    : name.includes(" ") ? ["log (", ...base, ")"] : ["log ", ...base];
  return USES_NU[name] ? [...named, ` (ν = ${Number(nu).toFixed(2)})`]
                       : named;
}

function setParts(node, parts) {
  node.replaceChildren(...parts.map((part) =>
    typeof part === "string" ? document.createTextNode(part)
                             : element("sub", {}, part.sub)));
}

// A number as the caption and the description print it: a true minus
// sign (read "minus", where a hyphen may be read "dash" or not at all).
const signed = (v) => v.toFixed(2).replace("-", "−");

// The caption under the plot, and the canvas's text alternative (its
// aria-label): what it shows at the current values, with the numbers.
function describe(caption, canvas, model, field) {
  const [name, nu, useLog, wrt] = ["loss", "nu", "log", "wrt"]
    .map((key) => model.get(key));
  const [f0, f1] = model.get("fixed").map((v) => v.toFixed(2));
  const moving = wrt === "x" ? "prediction x" : "target y";
  const held = wrt === "x" ? "target y" : "prediction x";
  const loss = lossParts(name, useLog, nu);
  const median = field.typical.toPrecision(3);
  setParts(caption, ["field −∇ of ", ...loss, ` over the ${moving}; ` +
    `${held} = (${f0}, ${f1}) (drag it, or focus the plot and use the ` +
    "arrow keys). Arrow length grows with ‖∇‖ up to most of a cell, " +
    `relative to its median over the grid: median ‖∇‖ = ${median}.`]);
  const plain = loss.map((p) => (typeof p === "string" ? p : p.sub)).join("");
  const where = model.get("fixed").map(signed).join(", ");
  const sizes = field.zero
    ? "The gradient is zero everywhere, so the particles do not move."
    : `The median size of the gradient over the grid is ${median}` +
      (field.undefined ? `; no arrow at ${field.undefined} points, ` +
        "where the loss is 0 and its log is undefined." : ".");
  canvas.setAttribute("aria-label", "Arrows of the negative gradient " +
    `of ${plain} over the ${moving}, from −2 to 2 in each coordinate, and ` +
    `${PARTICLES} particles doing gradient descent on it with step α = ` +
    `${Number(model.get("lr")).toFixed(3)}; the ${held} is at ` +
    `(${where}). ${sizes} Move the ${held} with the arrow keys ` +
    "(Shift: larger steps), or drag it.");
  return `${held} at (${where}); median size of the gradient ${median}`;
}

// --- moving the fixed point ------------------------------------------
function keptInside(x, y, half) {
  const clamp = (v) => Math.max(-half, Math.min(half, v));
  let [cx, cy] = [clamp(x), clamp(y)];
  const length = Math.hypot(cx, cy);
  if (length < MIN_NORM) {  // push it off 0, along where it came from
    [cx, cy] = length > 0 ? [cx / length * MIN_NORM, cy / length * MIN_NORM]
                          : [MIN_NORM, 0];
  }
  return [cx, cy];
}

function bindPointerAndKeys(canvas, view, model, moveFixed, announce) {
  let dragging = false;
  const planePoint = (event) => {
    const box = canvas.getBoundingClientRect();
    return [view.toPlane((event.clientX - box.left) / box.width * SIZE),
            -view.toPlane((event.clientY - box.top) / box.height * SIZE)];
  };
  canvas.addEventListener("pointerdown", (event) => {
    dragging = true;
    canvas.setPointerCapture(event.pointerId);
    moveFixed(...planePoint(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (dragging) { moveFixed(...planePoint(event)); }
  });
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    canvas.addEventListener(type, () => { dragging = false; });
  }
  canvas.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 0.25 : 0.05;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0],
                    ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (!(event.key in moves)) { return; }
    event.preventDefault();
    const [fx, fy] = model.get("fixed");
    moveFixed(fx + moves[event.key][0], fy + moves[event.key][1]);
    announce();  // a key step is said; a drag, many steps, is not
  });
}

// --- the widget ---------------------------------------------------------
function makeCanvas(el) {
  const canvas = element("canvas", { tabindex: "0", role: "img" });
  const ratio = window.devicePixelRatio || 1;
  canvas.width = canvas.height = SIZE * ratio;
  canvas.style.width = canvas.style.height = SIZE + "px";
  canvas.style.touchAction = "none";
  const caption = element("div", { class: "jacolib-field-caption" });
  // Read out by a screen reader after a key moves the fixed point.
  const status = element("div", { class: "jacolib-sr-only",
                                  role: "status", "aria-live": "polite" });
  el.append(canvas, caption, status);
  const context = canvas.getContext("2d");
  context.scale(ratio, ratio);
  return { canvas, caption, status, context };
}

// Runs ``frame`` at every animation frame while the canvas is on the
// page, and keeps the frames per second of the last second in the
// element's data-fps (for the page's tests and the bench). Returns a
// function that stops it.
function animate(el, canvas, frame) {
  let frames = 0, since = performance.now(), running = true;
  function next(now) {
    if (!running || !canvas.isConnected) { running = false; return; }
    frame();
    frames += 1;
    if (now - since >= 1000) {
      el.dataset.fps = (1000 * frames / (now - since)).toFixed(1);
      frames = 0;
      since = now;
    }
    requestAnimationFrame(next);
  }
  requestAnimationFrame(next);
  return () => { running = false; };
}

// What the canvas shows and how it changes: the field's arrows and
// shading (recomputed when a setting or the fixed point changes), the
// particles (restarted when the setting changes) and one frame.
function makeScene(model, half, { canvas, caption, status, context }) {
  const view = makeView(half);
  const shade = element("canvas");
  shade.width = shade.height = SHADE;
  const at = (px, py) => {
    const [fx, fy] = model.get("fixed");
    return fieldAt(model.get("loss"), model.get("nu"), model.get("log"),
                   model.get("wrt"), px, py, fx, fy);
  };
  let field = { arrows: [], typical: 1, undefined: 0, zero: false };
  let particles = [];
  let summary = "";
  const describeNow = () => {
    summary = describe(caption, canvas, model, field);
  };
  return {
    view,
    describe: describeNow,
    announce() { status.textContent = summary; },
    newParticles() {
      particles = Array.from({ length: PARTICLES },
                             () => randomParticle(half));
    },
    recompute() {
      field = computeArrows(at, half);
      shadeLevels(shade, at, half);
      describeNow();
    },
    step() { stepParticles(particles, at, model.get("lr"), half); },
    draw() {
      context.fillStyle = COLORS.background;
      context.fillRect(0, 0, SIZE, SIZE);
      context.drawImage(shade, 0, 0, SIZE, SIZE);
      drawAxes(context, view, model.get("wrt"));
      drawArrows(context, view, field.arrows);
      drawParticles(context, view, particles);
      drawFixed(context, view, model.get("fixed"),
                model.get("wrt") === "x" ? "y" : "x");
    },
  };
}

// Calls onChange[name]() then sync() when the model's ``name`` changes;
// returns a function that stops listening.
function listen(model, onChange, sync) {
  const listeners = Object.entries(onChange).map(([name, update]) => {
    const listener = () => { update(); sync(); };
    model.on(`change:${name}`, listener);
    return [`change:${name}`, listener];
  });
  return () => {
    for (const [event, listener] of listeners) { model.off(event, listener); }
  };
}

function render({ model, el }) {
  // jupyter-widgets: the class of every drawn widget view (anywidget
  // leaves it off), which the book's styles (focus, print) and tests
  // look for.
  el.classList.add("jacolib-field", "jupyter-widgets");
  const syncControls = controls(model, el);
  const parts = makeCanvas(el);
  const half = model.get("half_width");
  const scene = makeScene(model, half, parts);
  bindPointerAndKeys(parts.canvas, scene.view, model, (x, y) => {
    model.set("fixed", keptInside(x, y, half));
    model.save_changes();
  }, () => scene.announce());
  const restart = () => { scene.newParticles(); scene.recompute(); };
  const stopListening = listen(model, {
    loss: () => {
      if (model.get("log") && !model.get("log_allowed")[model.get("loss")]) {
        model.set("log", false);
        model.save_changes();
      }
      restart();
    },
    nu: restart, log: restart, wrt: restart,
    fixed: () => scene.recompute(),  // the particles carry on
    lr: () => scene.describe(),  // the step is in the description
  }, syncControls);
  syncControls();
  restart();
  const stop = animate(el, parts.canvas, () => {
    scene.step();
    scene.draw();
  });
  return () => { stop(); stopListening(); };
}

export default { render };
