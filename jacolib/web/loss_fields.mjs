// Chapter 5's losses and their gradient fields in the browser, for
// points in the plane. The same losses as jacolib/losses.py (a test
// compares the two to 1e-6 on a grid, for every loss), written once
// here with dual numbers: a value and its two partial derivatives,
// carried through every operation (forward mode, chapter 3), so each
// loss needs no hand-written gradient.

const dual = (v, d0 = 0, d1 = 0) => ({ v, d0, d1 });
const add = (a, b) => dual(a.v + b.v, a.d0 + b.d0, a.d1 + b.d1);
const sub = (a, b) => dual(a.v - b.v, a.d0 - b.d0, a.d1 - b.d1);
const mul = (a, b) =>
  dual(a.v * b.v, a.d0 * b.v + a.v * b.d0, a.d1 * b.v + a.v * b.d1);
const div = (a, b) => {
  const q = a.v / b.v;
  return dual(q, (a.d0 - q * b.d0) / b.v, (a.d1 - q * b.d1) / b.v);
};
const scale = (a, c) => dual(c * a.v, c * a.d0, c * a.d1);
const pow = (a, p) => {
  const slope = p === 0 ? 0 : p * Math.pow(a.v, p - 1);
  return dual(Math.pow(a.v, p), slope * a.d0, slope * a.d1);
};
const log = (a) => dual(Math.log(a.v), a.d0 / a.v, a.d1 / a.v);
const relu = (a) => (a.v > 0 ? a : dual(0));  // relu'(0) = 0, as torch
const constant = (c) => dual(c);

const inner = (x, y) => add(mul(x[0], y[0]), mul(x[1], y[1]));
const norm = (v) => pow(inner(v, v), 0.5);
const one = constant(1);
// ‖v‖^p, and exactly 1 for p = 0, even at v = 0 (where the derivative
// of ‖v‖ is NaN and would spread through 0 · NaN), as in losses.py.
const normPower = (v, p) => (p === 0 ? one : pow(norm(v), p));

function cosSim(x, y) { return div(inner(x, y), mul(norm(x), norm(y))); }
function dotSim(x, y) { return div(inner(x, y), inner(y, y)); }
function genSim(x, y, nu) {
  return div(inner(x, y), mul(normPower(x, nu), normPower(y, 2 - nu)));
}
function mse(x, y) {
  const e = [sub(x[0], y[0]), sub(x[1], y[1])];
  return inner(e, e);
}

// name -> loss(x, y, nu), x and y pairs of duals; the names, formulas
// and order of jacolib.losses.LOSSES.
export const LOSSES = {
  "MSE": (x, y) => mse(x, y),
  "1 − CosSim": (x, y) => sub(one, cosSim(x, y)),
  "1 − DotSim": (x, y) => sub(one, dotSim(x, y)),
  "(1 − DotSim)²": (x, y) => pow(sub(one, dotSim(x, y)), 2),
  "GenSim_ν": (x, y, nu) => pow(sub(genSim(x, y, nu), genSim(y, y, nu)), 2),
  "SumSim": (x, y) =>
    add(sub(one, cosSim(x, y)), pow(sub(one, dotSim(x, y)), 2)),
  "1 − CosSim + MSE": (x, y) => add(sub(one, cosSim(x, y)), mse(x, y)),
  "sign mismatch": (x, y) => {
    let total = constant(0);  // piecewise constant: zero derivative
    for (let j = 0; j < 2; j++) {
      total = add(total,
                  constant(Math.max(0, 1 - Math.sign(y[j].v * x[j].v))));
    }
    return total;
  },
  "perceptron": (x, y) =>
    add(relu(scale(mul(y[0], x[0]), -1)), relu(scale(mul(y[1], x[1]), -1))),
};

export const USES_NU = { "GenSim_ν": true };

// The centres of n cells across [-half, half], moved by 0.013 so that
// no centre sits at the origin (where a loss dividing by ‖x‖ is
// undefined): jacolib.losses_figures.grid_points along one axis.
export function gridAxis(half, n, offset = 0.013) {
  const spacing = 2 * half / n;
  return Array.from({ length: n },
                    (_, i) => -half + (i + 0.5) * spacing + offset);
}

// The loss and its negative gradient at one point (px, py) of the
// plane: the prediction x when wrt is "x" (the target is (fx, fy)), the
// target y when wrt is "y" (the prediction is (fx, fy)). Returns
// [value, −∂/∂p0, −∂/∂p1]; NaN where the loss is undefined (a zero norm,
// the log of a loss <= 0).
export function fieldAt(name, nu, useLog, wrt, px, py, fx, fy) {
  const moving = [dual(px, 1, 0), dual(py, 0, 1)];
  const fixed = [constant(fx), constant(fy)];
  let value = wrt === "x" ? LOSSES[name](moving, fixed, nu)
                          : LOSSES[name](fixed, moving, nu);
  if (useLog) {
    if (!(value.v > 0)) { return [NaN, NaN, NaN]; }
    value = log(value);
  }
  return [value.v, -value.d0, -value.d1];
}

// fieldAt on every point of a list [[p0, p1], ...].
export function fieldOn(name, nu, useLog, wrt, points, fixed) {
  return points.map(([px, py]) =>
    fieldAt(name, nu, useLog, wrt, px, py, fixed[0], fixed[1]));
}

// The median of the finite, nonzero sizes (1 if there are none): the
// scale of the arrows, as jacolib.losses_figures.field_size.
export function medianSize(sizes) {
  const kept = sizes.filter((s) => Number.isFinite(s) && s > 0)
    .sort((a, b) => a - b);
  if (kept.length === 0) { return 1; }
  const middle = kept.length >> 1;
  return kept.length % 2 ? kept[middle]
                         : (kept[middle - 1] + kept[middle]) / 2;
}
