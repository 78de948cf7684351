// Evaluate jacolib/web/loss_fields.mjs on the cases of a JSON file (the
// argument) and print the results as JSON, for tests/test_losses.py.
// A case is a field on points (the default), or, with "kind", the
// median of a list of sizes or one axis of the arrows' grid.
import { readFileSync } from "node:fs";
import { fieldOn, gridAxis, medianSize } from
  "../../jacolib/web/loss_fields.mjs";

const evaluate = {
  field: (c) => fieldOn(c.name, c.nu, c.log, c.wrt, c.points, c.fixed),
  median: (c) => medianSize(c.sizes.map((s) => (s === null ? NaN : s))),
  grid: (c) => gridAxis(c.half, c.n),
};
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
// JSON has no NaN: write it as null, which the test reads back as NaN.
const results = cases.map((c) => evaluate[c.kind ?? "field"](c));
process.stdout.write(JSON.stringify(results));
