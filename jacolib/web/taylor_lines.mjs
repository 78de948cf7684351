// Chapter 2's Taylor models along a line, in the browser: the valley
// loss of jacolib/curvature_figures.py (curved_double_well, the smallest
// eigenvalue of its Hessian), the slope and curvature of
// jacolib/curvature.py (slope_and_curvature, taylor_models) and the
// words of TaylorScene.describe. Python gets the derivatives by autodiff
// (torch.func); here they are written out by hand, and
// tests/test_curvature_figures.py compares the two to 1e-9 through
// node, over the whole range of the panel's sliders.
import { linspace, pyFixed, pyG } from "./py_numbers.mjs";

const square = (v) => v * v;

// L(w) = ¼(w₁² − 1)² + (w₂ − ½ w₁²)²: a curved valley with minima at
// (±1, ½) and a saddle at (0, 0).
export function curvedDoubleWell(w1, w2) {
  return 0.25 * square(square(w1) - 1) + square(w2 - 0.5 * square(w1));
}

// ∇L = (w₁(w₁² − 1) − 2 w₁ (w₂ − ½ w₁²), 2 (w₂ − ½ w₁²)).
export function valleyGradient(w1, w2) {
  const valley = w2 - 0.5 * square(w1);
  return [w1 * (square(w1) - 1) - 2 * w1 * valley, 2 * valley];
}

// The Hessian [[6 w₁² − 1 − 2 w₂, −2 w₁], [−2 w₁, 2]].
export function valleyHessian(w1, w2) {
  return [[6 * square(w1) - 1 - 2 * w2, -2 * w1], [-2 * w1, 2]];
}

// Its smallest eigenvalue, as smallest_hessian_eigenvalue_grid computes
// on a grid: negative where L is not convex around w.
export function smallestHessianEigenvalue(w1, w2) {
  const [[a, b], [, d]] = valleyHessian(w1, w2);
  return (a + d) / 2 - Math.hypot((a - d) / 2, b);
}

// d = (cos ψ, sin ψ) with ψ in degrees, by numpy.deg2rad's product.
export function direction(angle) {
  const radians = angle * (Math.PI / 180);
  return [Math.cos(radians), Math.sin(radians)];
}

// curvature.slope_and_curvature on the valley: gᵀd and dᵀHd at w.
export function slopeAndCurvature(w, d) {
  const g = valleyGradient(w[0], w[1]);
  const H = valleyHessian(w[0], w[1]);
  const Hd = [H[0][0] * d[0] + H[0][1] * d[1],
              H[1][0] * d[0] + H[1][1] * d[1]];
  return [g[0] * d[0] + g[1] * d[1], d[0] * Hd[0] + d[1] * Hd[1]];
}

// The valley along w + t d at each t of ``steps``, with w + t d
// formed as numpy forms it, so that equal inputs give equal bits.
export function lossAlong(w, d, steps) {
  return steps.map((t) => curvedDoubleWell(w[0] + t * d[0], w[1] + t * d[1]));
}

// curvature.taylor_models on the valley: the loss along the line and
// its first- and second-order models, L + t gᵀd (+ ½ t² dᵀHd).
export function taylorModels(w, d, steps) {
  const [slope, curvature] = slopeAndCurvature(w, d);
  const value = curvedDoubleWell(w[0], w[1]);
  const firstOrder = steps.map((t) => value + t * slope);
  const secondOrder = steps.map((t, i) =>
    firstOrder[i] + 0.5 * square(t) * curvature);
  return { steps, value, slope, curvature,
           true: lossAlong(w, d, steps), firstOrder, secondOrder };
}

// The scene's curves: each model minus L(w), clipped to ±1e3.
export function shownChanges(models) {
  const clip = (v) => Math.min(Math.max(v - models.value, -1e3), 1e3);
  return [models.true, models.firstOrder, models.secondOrder]
    .map((curve) => curve.map(clip));
}

// Where the loss along the line is lowest, to 1e-3: the first t of
// linspace(-1.5, 1.5, 3001) with the smallest value.
export function lowestOnLine(w, d, steps = linspace(-1.5, 1.5, 3001)) {
  const values = lossAlong(w, d, steps);
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if (values[i] < values[best]) { best = i; }
  }
  return steps[best];
}

// x rounded to 1e-9, as Python's round(x, 9), before two decimals: a
// tie (0.875) then rounds alike whether autodiff or the formulas here
// computed it (0.87499999...).
const snap = (x) => Math.round(x * 1e9) / 1e9;

// A signed number as Python's format(x, "+.2f"), with no "-0.00".
export function signed(x) {
  const text = pyFixed(snap(x), 2);
  const plain = text === "-0.00" ? "0.00" : text;
  return plain.startsWith("-") ? plain : "+" + plain;
}

// Two decimals, as format(x, ".2f"), with no "-0.00".
export function plain(x) {
  const text = pyFixed(snap(x), 2);
  return text === "-0.00" ? "0.00" : text;
}

// Below this size a curvature or an eigenvalue counts as zero: on the
// boundary of the grey region λmin is 0 up to rounding, which autodiff
// and the formulas here round differently.
export const ZERO = 1e-12;

// TaylorScene.describe, word for word: the figure at (w₁, w₂, ψ) from
// the numbers it shows.
export function describeLine(w1, w2, angle) {
  const w = [w1, w2], d = direction(angle);
  const [slope, curvature] = slopeAndCurvature(w, d);
  const where = smallestHessianEigenvalue(w1, w2) < -ZERO
    ? "H has a negative eigenvalue (the grey region)"
    : "H is positive semi-definite";
  const model = curvature > ZERO
    ? "an upward parabola with its minimum at t = " +
      plain(-slope / curvature)
    : curvature < -ZERO ? "a downward parabola, with no minimum"
      : "the tangent line, with no minimum";
  return `The valley loss along the line through w = (${plain(w1)}, ` +
    `${plain(w2)}) in the direction ψ = ${pyG(angle)}°, from a point ` +
    `where ${where}: slope gᵀd = ${signed(slope)}, curvature dᵀHd = ` +
    `${signed(curvature)}, so the second-order model is ${model}; on ` +
    "t in [-1.5, 1.5] the loss itself is lowest at t = " +
    `${plain(lowestOnLine(w, d))}. Left, the contours with the point ` +
    "and the line; right, the loss along the line and its first- and " +
    "second-order Taylor models against t.";
}
