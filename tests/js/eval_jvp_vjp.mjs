// Evaluate jacolib/web/jvp_vjp_maths.mjs (chapter 3's panel) on the
// cases of a JSON file (the argument) and print the results as JSON,
// for tests/test_autodiff_figures.py. A case names its ``kind``.
import { readFileSync } from "node:fs";
import { describe, imageOfLine, jvpVjp, levels, number } from
  "../../jacolib/web/jvp_vjp_maths.mjs";

const evaluate = {
  panel: (c) => ({ ...jvpVjp(c.x1, c.x2, c.v_angle, c.u_angle),
                   line: imageOfLine(c.x1, c.x2, c.v_angle),
                   describe: describe(c.x1, c.x2, c.v_angle, c.u_angle) }),
  levels: (c) => levels(c.through, c.low, c.high),
  number: (c) => c.values.map((x) => number(x, c.digits, c.sign)),
};
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
process.stdout.write(JSON.stringify(cases.map((c) => evaluate[c.kind](c))));
