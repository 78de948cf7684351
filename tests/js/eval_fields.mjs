// Evaluate jacolib/web/loss_fields.mjs on the cases of a JSON file (the
// argument) and print the results as JSON, for tests/test_losses_js.py.
import { readFileSync } from "node:fs";
import { fieldOn } from "../../jacolib/web/loss_fields.mjs";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = cases.map((c) =>
  fieldOn(c.name, c.nu, c.log, c.wrt, c.points, c.fixed));
process.stdout.write(JSON.stringify(results));
