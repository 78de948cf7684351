// Chapter 3's live panel in the browser: the maths of
// jacolib/autodiff_figures.py (warp, warp_jacobian, JvpVjpScene and
// describe_jvp_vjp), written again for a page without a kernel.
// tests/test_autodiff_figures.py compares every function here with the
// Python it mirrors, through tests/js/eval_jvp_vjp.mjs, to 1e-9 on a
// grid of control values, and the sentence word for word.
//
// The map is the smooth warp of the plane
//   f(x) = (x1 + 0.4 sin(1.5 x2),  x2 + 0.25 x1² − 0.5),
//   J(x) = [[1, 0.6 cos(1.5 x2)], [0.5 x1, 1]],
// not symmetric, so J v and Jᵀu point different ways.

export const LIMIT = 2.0;          // the input square is [−2, 2]²
export const LEVEL_SPACING = 0.5;  // between the level sets of ⟨u, f⟩

export function warp(x1, x2) {
  return [x1 + 0.4 * Math.sin(1.5 * x2), x2 + 0.25 * x1 ** 2 - 0.5];
}

export function warpJacobian(x1, x2) {
  return [[1.0, 0.6 * Math.cos(1.5 * x2)], [0.5 * x1, 1.0]];
}

// The unit vector at ``degrees`` from the first axis (numpy's deg2rad).
export function unit(degrees) {
  const angle = degrees * (Math.PI / 180);
  return [Math.cos(angle), Math.sin(angle)];
}

const dot = (a, b) => a[0] * b[0] + a[1] * b[1];

// Everything the panel draws at one setting of its four controls: the
// point x and its image z = f(x), the unit direction v and the unit
// covector u, the push-forward J v, the pull-back Jᵀu, and ⟨u, J v⟩
// and ⟨Jᵀu, v⟩, computed separately.
export function jvpVjp(x1, x2, vAngle, uAngle) {
  const J = warpJacobian(x1, x2);
  const v = unit(vAngle), u = unit(uAngle);
  const jv = [J[0][0] * v[0] + J[0][1] * v[1],
              J[1][0] * v[0] + J[1][1] * v[1]];
  const jtu = [J[0][0] * u[0] + J[1][0] * u[1],
               J[0][1] * u[0] + J[1][1] * u[1]];
  return { x: [x1, x2], z: warp(x1, x2), J, v, u, jv, jtu,
           uJv: dot(u, jv), jtuV: dot(jtu, v) };
}

// The image f(x + t v) of the line through x along v, t from −1 to 1
// at ``n`` points (numpy's linspace): the curve whose tangent is J v.
export function imageOfLine(x1, x2, vAngle, n = 41) {
  const v = unit(vAngle);
  const step = 2 / (n - 1);
  return Array.from({ length: n }, (_, i) => {
    const t = i === n - 1 ? 1.0 : i * step - 1.0;
    return warp(x1 + t * v[0], x2 + t * v[1]);
  });
}

// Levels ``spacing`` apart over [low, high], one of them exactly
// ``through`` (the value at x): JvpVjpScene._levels.
export function levels(through, low, high, spacing = LEVEL_SPACING) {
  const first = through - spacing * Math.floor((through - low) / spacing);
  const result = [through];
  for (let k = 0; first + k * spacing < high + spacing / 2; k++) {
    const level = first + k * spacing;
    if (Math.abs(level - through) > spacing / 2) { result.push(level); }
  }
  return result.sort((a, b) => a - b);
}

// --- the sentence: describe_jvp_vjp, word for word --------------------

// Python's format(x, ".Nf"): the binary value rounded half to even,
// where JavaScript's toFixed rounds a tie away from zero.
function fixed(x, digits) {
  const text = x.toFixed(digits);
  const scaled = Math.abs(x) * 2 ** (digits + 1);
  if (!(Number.isInteger(scaled) && scaled % 2 === 1 && scaled < 2 ** 52)) {
    return text;
  }
  const units = Math.abs(x) * 10 ** digits;  // n + 1/2, exactly
  const even = Math.floor(units) % 2 === 0 ? Math.floor(units)
                                           : Math.ceil(units);
  return (x < 0 ? "-" : "") + (even / 10 ** digits).toFixed(digits);
}

// ``value`` to ``digits`` decimals with a true minus sign and no
// "−0.00" for a value that rounds to zero (autodiff_figures._number).
export function number(value, digits = 2, sign = false) {
  let text = fixed(value, digits);
  if (sign && !text.startsWith("-")) { text = "+" + text; }
  if (Number(text) === 0) { text = text.replace("-", sign ? "+" : ""); }
  return text.replace("-", "−");
}

// Python's format(x, "g"), for the angles: six significant digits,
// trailing zeros dropped, the exponent form outside 1e-4 <= |x| < 1e6.
export function degrees(x) {
  if (x === 0) { return Object.is(x, -0) ? "-0" : "0"; }
  const strip = (text) => (text.includes(".")
    ? text.replace(/\.?0+$/, "") : text);
  const [mantissa, power] = x.toExponential(5).split("e");
  const exponent = Number(power);
  if (exponent < -4 || exponent >= 6) {
    return `${strip(mantissa)}e${exponent < 0 ? "-" : "+"}` +
      String(Math.abs(exponent)).padStart(2, "0");
  }
  return strip(fixed(x, 5 - exponent));
}

const pair = (p) => `(${number(p[0])}, ${number(p[1])})`;

// One or two sentences saying what the panel shows at these values:
// the text alternative of its image.
export function describe(x1, x2, vAngle, uAngle) {
  const s = jvpVjp(x1, x2, vAngle, uAngle);
  return `Left, the input plane: at x = ${pair(s.x)} the unit ` +
    `direction v at ${degrees(vAngle)}° and the pull-back ` +
    `Jᵀu = ${pair(s.jtu)}, normal to the thick curve where ` +
    `⟨u, f⟩ is constant. Right, the output plane: at f(x) = ` +
    `${pair(s.z)} the push-forward Jv = ${pair(s.jv)} and the ` +
    `unit covector u at ${degrees(uAngle)}°; ⟨u, Jv⟩ = ` +
    `⟨Jᵀu, v⟩ = ${number(s.uJv, 3, true)}.`;
}
