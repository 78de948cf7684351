// Evaluate the browser panels' maths (jacolib/web/gd_quadratic.mjs,
// taylor_lines.mjs, py_numbers.mjs) on the cases of a JSON file (the
// argument) and print the results as JSON, for
// tests/test_linreg_figures.py and tests/test_curvature_figures.py.
// A case names its ``kind``; JSON has no NaN or infinity, so those are
// written as the strings "nan", "inf" and "-inf".
import { readFileSync } from "node:fs";
import { conditionedQuadratic, describeRun, runAt, value } from
  "../../jacolib/web/gd_quadratic.mjs";
import { GD_AXES } from "../../jacolib/web/gd_panel.mjs";
import { TAYLOR_AXES } from "../../jacolib/web/taylor_panel.mjs";
import { linspace, pyFixed, pyG } from "../../jacolib/web/py_numbers.mjs";
import { describeLine, direction, lowestOnLine, shownChanges,
         smallestHessianEigenvalue, taylorModels, curvedDoubleWell }
  from "../../jacolib/web/taylor_lines.mjs";

const evaluate = {
  // Chapter 1: the whole run the panel draws at (α, κ).
  gd_run: (c) => {
    const run = runAt(c.lr, c.kappa, { w0: c.w0, nSteps: c.n_steps });
    return { A: run.q.A, b: run.q.b, c: run.q.c, minimum: run.minimum,
             path: run.path, shown: run.shown, errors: run.errors,
             factors: run.factors, describe: describeRun(c.lr, c.kappa) };
  },
  gd_values: (c) => {  // L on a list of points
    const q = conditionedQuadratic(c.kappa);
    return c.points.map((w) => value(q, w));
  },
  describe_run: (c) => describeRun(c.lr, c.kappa),
  // Chapter 2: the Taylor models and what the panel shows of them.
  taylor: (c) => {
    const w = [c.w1, c.w2], d = direction(c.angle);
    const models = taylorModels(w, d, c.steps);
    return { d, slope: models.slope, curvature: models.curvature,
             value: models.value, true: models.true,
             first: models.firstOrder, second: models.secondOrder,
             shown: shownChanges(models), lowest: lowestOnLine(w, d),
             describe: describeLine(c.w1, c.w2, c.angle) };
  },
  describe_line: (c) => describeLine(c.w1, c.w2, c.angle),
  valley: (c) => c.points.map(([w1, w2]) => [curvedDoubleWell(w1, w2),
    smallestHessianEigenvalue(w1, w2)]),
  // Python's number formats and numpy's linspace.
  fixed: (c) => c.values.map((x) => pyFixed(x, c.digits)),
  g: (c) => c.values.map(pyG),
  linspace: (c) => linspace(c.start, c.stop, c.n),
  // The panels' axes: boxes, limits, ticks and labels.
  layout: (c) => ({ gd: GD_AXES, taylor: TAYLOR_AXES })[c.panel],
};

const revive = (v) => (v === "nan" ? NaN : v === "inf" ? Infinity
  : v === "-inf" ? -Infinity : v);
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"),
                         (_, v) => revive(v));
const results = cases.map((c) => evaluate[c.kind](c));
process.stdout.write(JSON.stringify(results, (_, v) =>
  (typeof v === "number" && !Number.isFinite(v) ? String(v)
    .replace("Infinity", "inf").replace("NaN", "nan") : v)));
