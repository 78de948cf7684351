// Chapter 5's interactive field, computed in the browser: the negative
// gradient of a loss on a 25x25 grid, particles doing gradient descent
// on it, and the fixed point (the target y, or the prediction x when the
// field is taken with respect to y) dragged with the mouse or moved with
// the arrow keys. It needs no kernel: on the book's static page every
// control works. An anywidget front end (jacolib.losses_figures
// .LossField); the fields come from loss_fields.mjs, the same losses as
// jacolib.losses.
import { fieldAt, LOSSES, USES_NU } from "./loss_fields.mjs";

const SIZE = 440;          // canvas side, CSS pixels
const GRID = 25;           // arrows per side
const PARTICLES = 160;
const LIFETIME = 150;      // frames before a particle is reborn
const COLORS = { arrow: "#0072B2", particle: "#D55E00", fixed: "#000000",
                 axis: "#888888", text: "#222222" };
const SHADE = 60;          // background cells per side (the loss's level)

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, value);
  }
  node.textContent = text;
  return node;
}

function controls(model, el) {
  const bar = element("div", { class: "jacolib-field-controls" });
  const loss = element("select", { "aria-label": "loss" });
  for (const name of Object.keys(LOSSES)) {
    loss.appendChild(element("option", { value: name }, name));
  }
  const nu = element("input", { type: "range", min: "0", max: "2",
                                step: "0.05", "aria-label": "ν" });
  const nuText = element("span");
  const useLog = element("input", { type: "checkbox", "aria-label": "log" });
  const wrt = element("select", { "aria-label": "field with respect to" });
  wrt.appendChild(element("option", { value: "x" }, "∇ with respect to x"));
  wrt.appendChild(element("option", { value: "y" }, "∇ with respect to y"));
  const lr = element("input", { type: "range", min: "0.005", max: "0.2",
                                step: "0.005", "aria-label": "step size" });
  const lrText = element("span");
  const label = (text, control, extra) => {
    const wrap = element("label", {}, text + " ");
    wrap.appendChild(control);
    if (extra) { wrap.appendChild(extra); }
    return wrap;
  };
  bar.append(label("loss", loss), label("ν", nu, nuText),
             label("log L", useLog), wrt, label("step α", lr, lrText));
  const sync = () => {
    loss.value = model.get("loss");
    nu.value = model.get("nu");
    nuText.textContent = Number(model.get("nu")).toFixed(2);
    nu.disabled = !USES_NU[model.get("loss")];
    useLog.checked = model.get("log");
    useLog.disabled = !model.get("log_allowed")[model.get("loss")];
    wrt.value = model.get("wrt");
    lr.value = model.get("lr");
    lrText.textContent = Number(model.get("lr")).toFixed(3);
  };
  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  loss.addEventListener("change", () => set("loss", loss.value));
  nu.addEventListener("input", () => set("nu", Number(nu.value)));
  useLog.addEventListener("change", () => set("log", useLog.checked));
  wrt.addEventListener("change", () => set("wrt", wrt.value));
  lr.addEventListener("input", () => set("lr", Number(lr.value)));
  el.appendChild(bar);
  return sync;
}

function render({ model, el }) {
  el.classList.add("jacolib-field");
  const syncControls = controls(model, el);
  const canvas = element("canvas", { tabindex: "0", role: "img" });
  const ratio = window.devicePixelRatio || 1;
  canvas.width = canvas.height = SIZE * ratio;
  canvas.style.width = canvas.style.height = SIZE + "px";
  canvas.style.touchAction = "none";
  const caption = element("div", { class: "jacolib-field-caption" });
  el.append(canvas, caption);
  const context = canvas.getContext("2d");
  context.scale(ratio, ratio);
  const half = model.get("half_width");
  const screenX = (px) => (px + half) / (2 * half) * SIZE;
  const screenY = (py) => (half - py) / (2 * half) * SIZE;
  const toPlane = (s) => s / SIZE * 2 * half - half;

  let field = [];
  let particles = [];
  const randomParticle = () => ({
    p: [(Math.random() * 2 - 1) * half, (Math.random() * 2 - 1) * half],
    trail: [], age: Math.floor(Math.random() * LIFETIME) });
  const state = () => [model.get("loss"), model.get("nu"), model.get("log"),
                       model.get("wrt")];
  const fixed = () => model.get("fixed");
  const at = (px, py) => {
    const [name, nu, useLog, wrt] = state();
    return fieldAt(name, nu, useLog, wrt, px, py, fixed()[0], fixed()[1]);
  };

  function computeField() {
    field = [];
    const spacing = 2 * half / GRID;
    for (let i = 0; i < GRID; i++) {
      for (let j = 0; j < GRID; j++) {
        const px = -half + (i + 0.5) * spacing;
        const py = -half + (j + 0.5) * spacing;
        const [value, gx, gy] = at(px, py);
        field.push({ px, py, value, gx, gy, size: Math.hypot(gx, gy) });
      }
    }
    const sizes = field.map((a) => a.size).filter(Number.isFinite)
      .sort((a, b) => a - b);
    const typical = sizes.length ? sizes[Math.floor(sizes.length / 2)] : 1;
    for (const arrow of field) {
      // Length grows with the size, up to most of a cell: a field that
      // explodes somewhere still shows its directions everywhere.
      arrow.length = 0.8 * spacing * Math.tanh(arrow.size / (typical || 1));
    }
    particles = Array.from({ length: PARTICLES }, randomParticle);
    shadeLevels();
    describe();
  }

  // The loss itself as a faint background: light where it is low, by
  // rank, so that a loss that explodes somewhere still shows its shape.
  const shade = document.createElement("canvas");
  shade.width = shade.height = SHADE;
  function shadeLevels() {
    const values = [];
    for (let row = 0; row < SHADE; row++) {
      for (let col = 0; col < SHADE; col++) {
        const px = -half + (col + 0.5) * 2 * half / SHADE;
        const py = half - (row + 0.5) * 2 * half / SHADE;
        values.push(at(px, py)[0]);
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

  function describe() {
    const [name, nu, useLog, wrt] = state();
    const [f0, f1] = fixed();
    const moving = wrt === "x" ? "prediction x" : "target y";
    const held = wrt === "x" ? "target y" : "prediction x";
    const loss = (useLog ? "log " : "") + name + (USES_NU[name] ?
      ` (ν = ${Number(nu).toFixed(2)})` : "");
    caption.textContent = `field −∇ of ${loss} over the ${moving}; ` +
      `${held} = (${f0.toFixed(2)}, ${f1.toFixed(2)}) (drag it, or ` +
      "focus the plot and use the arrow keys)";
    canvas.setAttribute("aria-label", "Arrows of the negative gradient of " +
      `${loss} with respect to ${wrt}, and particles following it; the ` +
      `${held} is at (${f0.toFixed(2)}, ${f1.toFixed(2)}).`);
  }

  function drawArrows() {
    context.strokeStyle = COLORS.arrow;
    context.fillStyle = COLORS.arrow;
    context.lineWidth = 1.4;
    const unit = SIZE / (2 * half);
    for (const a of field) {
      if (!Number.isFinite(a.size) || a.size === 0) { continue; }
      const sx = screenX(a.px), sy = screenY(a.py);
      const dx = a.gx / a.size * a.length * unit;
      const dy = -a.gy / a.size * a.length * unit;
      const x0 = sx - dx / 2, y0 = sy - dy / 2;
      const x1 = sx + dx / 2, y1 = sy + dy / 2;
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
  }

  function stepParticles() {
    const lr = model.get("lr");
    for (let k = 0; k < particles.length; k++) {
      const particle = particles[k];
      const [, gx, gy] = at(particle.p[0], particle.p[1]);
      const next = [particle.p[0] + lr * gx, particle.p[1] + lr * gy];
      const outside = !Number.isFinite(next[0] + next[1]) ||
        Math.abs(next[0]) > half || Math.abs(next[1]) > half;
      particle.age += 1;
      if (outside || particle.age > LIFETIME) {
        particles[k] = randomParticle();
        particles[k].age = 0;
        continue;
      }
      particle.trail.push(next);
      if (particle.trail.length > 12) { particle.trail.shift(); }
      particle.p = next;
    }
  }

  function drawParticles() {
    context.strokeStyle = COLORS.particle;
    context.fillStyle = COLORS.particle;
    context.lineWidth = 1;
    for (const particle of particles) {
      if (particle.trail.length > 1) {
        context.beginPath();
        const [first, ...rest] = particle.trail;
        context.moveTo(screenX(first[0]), screenY(first[1]));
        for (const q of rest) { context.lineTo(screenX(q[0]), screenY(q[1])); }
        context.stroke();
      }
      context.beginPath();
      context.arc(screenX(particle.p[0]), screenY(particle.p[1]), 1.8, 0,
                  2 * Math.PI);
      context.fill();
    }
  }

  function drawFrame() {
    context.clearRect(0, 0, SIZE, SIZE);
    context.imageSmoothingEnabled = true;
    context.drawImage(shade, 0, 0, SIZE, SIZE);
    context.strokeStyle = COLORS.axis;
    context.lineWidth = 1;
    const ox = screenX(0), oy = screenY(0);
    context.beginPath();
    context.moveTo(0, oy); context.lineTo(SIZE, oy);
    context.moveTo(ox, 0); context.lineTo(ox, SIZE);
    context.stroke();
    context.fillStyle = COLORS.text;
    context.font = "italic 15px serif";
    const symbol = model.get("wrt");
    context.fillText(`${symbol}₁`, SIZE - 24, oy - 8);
    context.fillText(`${symbol}₂`, ox + 8, 18);
    context.font = "12px sans-serif";
    context.fillText(String(half), SIZE - 18, oy + 16);
    context.fillText(String(half), ox - 18, 14);
    drawArrows();
    drawParticles();
    const [fx, fy] = fixed();
    const px = screenX(fx), py = screenY(fy);
    context.fillStyle = COLORS.fixed;
    context.strokeStyle = "#ffffff";
    context.lineWidth = 2;
    context.beginPath();
    context.arc(px, py, 7, 0, 2 * Math.PI);
    context.fill();
    context.stroke();
    context.fillText(model.get("wrt") === "x" ? "y" : "x", px + 10, py - 8);
  }

  // Frames per second over the last second, for the page's tests.
  let frames = 0, since = performance.now(), running = true;
  function animate(now) {
    if (!running) { return; }
    if (!canvas.isConnected) { running = false; return; }
    stepParticles();
    drawFrame();
    frames += 1;
    if (now - since >= 1000) {
      el.dataset.fps = (1000 * frames / (now - since)).toFixed(1);
      frames = 0;
      since = now;
    }
    requestAnimationFrame(animate);
  }

  function moveFixed(x, y) {
    const clamp = (v) => Math.max(-half, Math.min(half, v));
    model.set("fixed", [clamp(x), clamp(y)]);
    model.save_changes();
  }
  let dragging = false;
  const planePoint = (event) => {
    const box = canvas.getBoundingClientRect();
    return [toPlane((event.clientX - box.left) / box.width * SIZE),
            -toPlane((event.clientY - box.top) / box.height * SIZE)];
  };
  canvas.addEventListener("pointerdown", (event) => {
    dragging = true;
    canvas.setPointerCapture(event.pointerId);
    moveFixed(...planePoint(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (dragging) { moveFixed(...planePoint(event)); }
  });
  canvas.addEventListener("pointerup", () => { dragging = false; });
  canvas.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 0.25 : 0.05;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0],
                    ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (!(event.key in moves)) { return; }
    event.preventDefault();
    const [fx, fy] = fixed();
    moveFixed(fx + moves[event.key][0], fy + moves[event.key][1]);
  });

  for (const name of ["loss", "nu", "log", "wrt", "fixed", "lr"]) {
    model.on(`change:${name}`, () => {
      if (name === "loss" && !model.get("log_allowed")[model.get("loss")]) {
        model.set("log", false);
      }
      syncControls();
      if (name !== "lr") { computeField(); }
    });
  }
  syncControls();
  computeField();
  requestAnimationFrame(animate);
  return () => { running = false; };
}

export default { render };
