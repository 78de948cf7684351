"""`make bench`: measure every budget of the book and print one table.

Each module benchmarks/bench_*.py has ``budgets() -> list[Budget]``.
Exits non-zero when a budget is missed, so a regression is seen.
"""

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def all_budgets():
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(f"benchmarks.{path.stem}")
        yield from module.budgets()


def format_row(budget):
    sign = "≤" if budget.at_most else "≥"
    verdict = "ok" if budget.ok else "OVER BUDGET"
    return (f"{budget.what:<62} {budget.measured:>9.3g} {budget.unit:<3}"
            f" {sign} {budget.limit:<6g} {verdict}")


def main():
    print(f"{'budget':<62} {'measured':>9}     {'limit':<8} verdict")
    print("-" * 94)
    missed = 0
    for budget in all_budgets():
        print(format_row(budget), flush=True)
        missed += not budget.ok
    print("-" * 94)
    print("all budgets met" if not missed else f"{missed} budget(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
