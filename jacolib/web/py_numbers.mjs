// Numbers as Python and numpy make them, for the browser's copies of
// jacolib's maths and words: a figure's text must read the same in the
// kernel's panel and in the page's (tests/js/eval_panels.mjs compares).

// Python's format(x, f".{digits}f"): the binary value rounded half to
// even. JavaScript's toFixed rounds a tie away from zero, and a tie is
// exact only for x = odd / 2^(digits + 1) (e.g. 0.125 at 2 digits).
export function pyFixed(x, digits) {
  if (Object.is(x, -0)) { return "-" + (0).toFixed(digits); }
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

// Python's format(x, "g"): six significant digits, trailing zeros
// dropped; the exponent form outside 1e-4 <= |x| < 1e6 (there a tie
// rounds away from zero, not to even: no figure here prints one).
export function pyG(x) {
  if (x === 0) { return Object.is(x, -0) ? "-0" : "0"; }
  if (!Number.isFinite(x)) { return Number.isNaN(x) ? "nan"
                                    : x > 0 ? "inf" : "-inf"; }
  const strip = (text) => (text.includes(".")
    ? text.replace(/\.?0+$/, "") : text);
  const [mantissa, power] = x.toExponential(5).split("e");
  const exponent = Number(power);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? "-" : "+";
    return `${strip(mantissa)}e${sign}` +
      String(Math.abs(exponent)).padStart(2, "0");
  }
  return strip(pyFixed(x, 5 - exponent));
}

// numpy.linspace(start, stop, n): i * step + start, the last one stop.
export function linspace(start, stop, n) {
  if (n === 1) { return [start]; }
  const step = (stop - start) / (n - 1);
  const values = Array.from({ length: n }, (_, i) => i * step + start);
  values[n - 1] = stop;
  return values;
}
