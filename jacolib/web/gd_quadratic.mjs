// Chapter 1's gradient descent on a 2-D quadratic, in the browser: the
// same formulas as jacolib/linreg.py (conditioned_quadratic, gd,
// per_axis_errors, QuadraticObjective.value and .minimizer) and the
// words of jacolib/linreg_figures.py (LearningRateScene.describe and
// the path it draws). tests/test_linreg_figures.py compares the two to
// 1e-9 through node, on a grid of learning rates and condition numbers.
// Points and vectors are pairs [x, y]; a matrix is [[a, b], [c, d]].
import { linspace, pyFixed, pyG } from "./py_numbers.mjs";

// The eigenvalues (ascending) and unit eigenvectors (the columns of Q)
// of a symmetric 2x2 matrix, as numpy.linalg.eigh gives them up to each
// column's sign. LAPACK treats an off-diagonal entry below
// sqrt(|a| |d|) ε as zero, and then the eigenvectors are the axes,
// sorted by their diagonal entries (a tie kept in place): at κ = 1,
// where every direction is an eigen-direction, this picks numpy's.
export function symmetricEigen([[a, b], [, d]]) {
  const negligible = Math.abs(b) <= Math.sqrt(Math.abs(a)) *
    Math.sqrt(Math.abs(d)) * 2 ** -53;
  if (negligible) {
    return a <= d ? { values: [a, d], Q: [[1, 0], [0, 1]] }
                  : { values: [d, a], Q: [[0, 1], [1, 0]] };
  }
  const mean = (a + d) / 2;
  const radius = Math.hypot((a - d) / 2, b);
  const values = [mean - radius, mean + radius];
  // (b, λ − a) and (λ − d, b) are both eigenvectors: take the longer.
  const vectors = values.map((lambda) => {
    const first = [b, lambda - a], second = [lambda - d, b];
    const v = Math.hypot(...first) >= Math.hypot(...second) ? first : second;
    const length = Math.hypot(...v);
    return [v[0] / length, v[1] / length];
  });
  return { values, Q: [[vectors[0][0], vectors[1][0]],
                       [vectors[0][1], vectors[1][1]]] };
}

// linreg.conditioned_quadratic: eigenvalues 1/κ and 1, axes turned by
// ``angle``, minimum at wStar with L(w*) = 0. Returns the objective
// {A, b, c, values, Q} (values, Q: its eigendecomposition, eigenvalues
// clipped at 0 as QuadraticObjective does).
export function conditionedQuadratic(kappa, angle = Math.PI / 6,
                                     wStar = [1.0, 0.5]) {
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  const M = [[c * (1.0 / kappa), -s * 1.0], [s * (1.0 / kappa), c * 1.0]];
  const product = [[M[0][0] * c + M[0][1] * -s, M[0][0] * s + M[0][1] * c],
                   [M[1][0] * c + M[1][1] * -s, M[1][0] * s + M[1][1] * c]];
  const offDiagonal = 0.5 * (product[0][1] + product[1][0]);
  const A = [[0.5 * (product[0][0] + product[0][0]), offDiagonal],
             [offDiagonal, 0.5 * (product[1][1] + product[1][1])]];
  const Aw = matVec(A, wStar);
  const { values, Q } = symmetricEigen(A);
  return { A, b: [-Aw[0], -Aw[1]], c: 0.5 * dot(wStar, Aw),
           values: values.map((v) => Math.max(v, 0)), Q };
}

const dot = (u, v) => u[0] * v[0] + u[1] * v[1];
const matVec = (A, v) => [A[0][0] * v[0] + A[0][1] * v[1],
                          A[1][0] * v[0] + A[1][1] * v[1]];
// The transpose of Q times v: v's coordinates along Q's columns.
const alongColumns = (Q, v) => [Q[0][0] * v[0] + Q[1][0] * v[1],
                                Q[0][1] * v[0] + Q[1][1] * v[1]];

// L(w) = ½ wᵀAw + bᵀw + c.
export function value(q, w) {
  return 0.5 * dot(w, matVec(q.A, w)) + dot(w, q.b) + q.c;
}

// ∇L(w) = Aw + b.
export function gradient(q, w) {
  const Aw = matVec(q.A, w);
  return [Aw[0] + q.b[0], Aw[1] + q.b[1]];
}

// QuadraticObjective.minimizer: −A⁺b through the eigendecomposition
// (A is positive definite here: both eigenvalues are at least 1/50).
export function minimizer(q) {
  const bEigen = alongColumns(q.Q, q.b);
  const wEigen = [-bEigen[0] / q.values[0], -bEigen[1] / q.values[1]];
  return matVec(q.Q, wEigen);
}

// linreg.gd: w⁽ᵏ⁺¹⁾ = w⁽ᵏ⁾ − α ∇L(w⁽ᵏ⁾); the whole path, nSteps + 1
// points. A diverging run is a result: it overflows to ±Infinity or NaN
// quietly, as in Python.
export function gd(q, w0, lr, nSteps) {
  const path = [[w0[0], w0[1]]];
  let w = path[0];
  for (let k = 0; k < nSteps; k++) {
    const g = gradient(q, w);
    w = [w[0] - lr * g[0], w[1] - lr * g[1]];
    path.push(w);
  }
  return path;
}

// linreg.per_axis_errors: |w̃ⱼ⁽ᵏ⁾ − w̃ⱼ*| along each eigen-direction j,
// as two rows (flat axis, steep axis) of nSteps + 1 values.
export function perAxisErrors(q, path) {
  const wStar = minimizer(q);
  const rows = [[], []];
  for (const w of path) {
    const along = alongColumns(q.Q, [w[0] - wStar[0], w[1] - wStar[1]]);
    rows[0].push(Math.abs(along[0]));
    rows[1].push(Math.abs(along[1]));
  }
  return rows;
}

// The part of a path that LearningRateScene draws: up to and including
// its first point outside |wⱼ| < 1e3 (far outside the view), so that a
// diverging path never asks to draw near-overflowing coordinates.
export function shownPath(path, limit = 1e3) {
  const outside = path.findIndex((w) =>
    !(Math.abs(w[0]) < limit && Math.abs(w[1]) < limit));
  return outside < 0 ? path : path.slice(0, outside + 1);
}

// The error curves as LearningRateScene draws them: clipped to
// [1e-300, 1e300] for the log axis (an axis solved in one step has
// error 0); NaN stays NaN, and is not drawn.
export function clippedErrors(rows) {
  return rows.map((row) => row.map((e) =>
    (Number.isNaN(e) ? NaN : Math.min(Math.max(e, 1e-300), 1e300))));
}

// Each axis's contraction factor |1 − α λⱼ| against α, on the right
// plot's grid linspace(0, 2.6, 200): rows flat (λ = 1/κ), steep (λ = 1).
export function contractionFactors(kappa, alphas = linspace(0.0, 2.6, 200)) {
  return [alphas.map((a) => Math.abs(1 - a / kappa)),
          alphas.map((a) => Math.abs(1 - a))];
}

// LearningRateScene.describe, word for word.
export function describeRun(learningRate, conditionNumber) {
  const factors = [Math.abs(1 - learningRate * (1 / conditionNumber)),
                   Math.abs(1 - learningRate * 1.0)];
  const rho = Math.max(...factors);
  const nearOne = Math.abs(rho - 1) <= 1e-8 + 1e-5 * 1;  // np.isclose
  const verdict = nearOne
    ? "the steep axis's error keeps its size: the path oscillates"
    : rho < 1
      ? "both errors shrink, the slower one by a factor of " +
        `${pyFixed(rho, 2)} per step`
      : "the path diverges, its error growing by a factor of " +
        `${pyFixed(rho, 2)} per step`;
  return "Gradient descent on a quadratic with condition number " +
    `${pyG(conditionNumber)} at learning rate ` +
    `${pyFixed(learningRate, 2)}: ${verdict}. Left, the path over the ` +
    "contours; middle, the error per eigen-axis against the step; " +
    "right, each axis's contraction factor against the learning rate.";
}

// Everything the panel draws at (α, κ), from the scene's constants.
export function runAt(learningRate, conditionNumber, { w0, nSteps }) {
  const q = conditionedQuadratic(conditionNumber);
  const path = gd(q, w0, learningRate, nSteps);
  return { q, path, shown: shownPath(path), minimum: minimizer(q),
           errors: clippedErrors(perAxisErrors(q, path)),
           factors: contractionFactors(conditionNumber) };
}
