"""Run the browser panels' maths (jacolib/web/*.mjs) in node, for the
tests that compare it with the jacolib functions it mirrors."""

import json
import shutil
import subprocess

import pytest

from conftest import ROOT

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None,
                                reason="needs node (make test has it)")


def _encode(value):
    """JSON has no NaN or infinity: send them as strings."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), -float("inf")):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {key: _encode(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value):
    if value in ("nan", "inf", "-inf"):
        return float(value)
    if isinstance(value, dict):
        return {key: _decode(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def run_js(cases, name):
    """Evaluate cases ({"kind": ..., ...}) with tests/js/eval_panels.mjs;
    one result per case. ``name`` names the file of cases in _build/
    (each test its own, so that tests on two workers do not collide)."""
    path = ROOT / "_build" / f"js_panel_cases_{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(_encode(cases)))
    result = subprocess.run(
        [NODE, str(ROOT / "tests" / "js" / "eval_panels.mjs"), str(path)],
        capture_output=True, text=True, check=True, timeout=120)
    return _decode(json.loads(result.stdout))


def tex_to_markup(label):
    """A matplotlib label in the browser panels' little TeX."""
    for tex, plain in [(r"\mathdefault", ""), (r"\tilde w", "w̃"),
                       (r"\top", "⊤"), (r"\,", " "), (r"\lambda", "λ"),
                       (r"\alpha", "α"), ("{-", "{-")]:
        label = label.replace(tex, plain)
    if label.startswith("${") and label.endswith("}$"):
        label = "$" + label[2:-2] + "$"
    return label
