"""Exercises that check themselves.

A coding exercise asks for a function; its last line hands it to the
checker::

    def best_learning_rate(eigenvalues):
        \"\"\"The α that minimises max_j |1 − α λ_j|.\"\"\"
        ...

    exercises.check("ex-best-rate", best_learning_rate)

``check`` runs the function on the exercise's reference cases and prints
a verdict: which cases pass and which fail, each failure with what was
expected and what came (a value, a shape, a NaN, or the exception the
function raised), and a hint. It never raises, so a notebook with
exercises left undone still runs to the end. The expected values come
from an independent computation (autodiff, finite differences, a fine
search), not from the solution, so the cases do not give it away.

For a class: ``python -m jacolib.exercises NOTEBOOK...`` runs each
student's notebook on a fresh kernel and prints one row per notebook
with the exercises passed (see ``grade``).
"""

import ast
import inspect
import json
import math
import os
import sys
import textwrap
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

VERDICTS_ENV = "JACOLIB_VERDICTS"  # where grade() collects the verdicts


@dataclass
class Case:
    """One reference case: the arguments and the value expected back."""

    name: str
    args: tuple
    expected: Any
    tol: float = 1e-8
    kwargs: dict = field(default_factory=dict)


@dataclass
class Exercise:
    label: str
    title: str
    hint: str
    make_cases: Callable[[], list]


@dataclass
class Verdict:
    """What ``check`` found: ``results`` lists (case name, None when it
    passed or the reason it failed), in the cases' order."""

    label: str
    title: str
    results: list
    hint: str
    not_written: bool = False

    @property
    def passed(self):
        return [name for name, why in self.results if why is None]

    @property
    def failures(self):
        return {name: why for name, why in self.results if why is not None}

    @property
    def ok(self):
        return not self.failures and not self.not_written

    def lines(self):
        if self.not_written:
            return [f"{self.title}: not written yet. Fill in the body "
                    f"where the ... is, then run this cell again.",
                    f"Hint: {self.hint}"]
        if self.ok:
            return [f"{self.title}: all {len(self.results)} cases pass  ✓"]
        lines = [f"{self.title}: {len(self.passed)} of "
                 f"{len(self.results)} cases pass"]
        lines += [f"  {name}  ✓" if why is None else f"  {name}  ✗  {why}"
                  for name, why in self.results]
        lines.append(f"Hint: {self.hint}")
        return lines


EXERCISES = {}


def exercise(label, title, hint):
    """Register the function that makes an exercise's reference cases."""
    def register(make_cases):
        EXERCISES[label] = Exercise(label, title, hint, make_cases)
        return make_cases
    return register


def run(label, function):
    """The verdict of ``function`` on the exercise's cases (no printing)."""
    if label not in EXERCISES:
        raise ValueError(f"no exercise {label!r}; the exercises with "
                         f"checks are {sorted(EXERCISES)}")
    if not callable(function):
        raise ValueError(f"check({label!r}, ...) expects your function; "
                         f"got {type(function).__name__} {function!r}")
    entry = EXERCISES[label]
    if _is_stub(function):
        return Verdict(label, entry.title, [], entry.hint, True)
    results = [(case.name, _judge(function, case))
               for case in entry.make_cases()]
    return Verdict(label, entry.title, results, entry.hint)


def check(label, function):
    """Run ``function`` on the reference cases of exercise ``label`` and
    print the verdict. Never raises for what the function does."""
    verdict = run(label, function)
    print("\n".join(verdict.lines()))
    _record(verdict)


# --- judging one case ---------------------------------------------------

def _empty():
    """A stub."""
    ...


def _is_stub(function):
    """A function whose body is only its docstring and ``...`` (or
    ``pass``): the student edition's stub, not yet written."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
        definition = ast.parse(source).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        # No source to read (code run with exec): an empty body compiles
        # to the same bytecode as this stub's.
        code = getattr(function, "__code__", None)
        return code is not None and code.co_code == _empty.__code__.co_code
    if not isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    body = definition.body
    if (body and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]  # the docstring
    return len(body) == 1 and (
        isinstance(body[0], ast.Pass)
        or isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and body[0].value.value is Ellipsis)


def _judge(function, case):
    """None when the case passes, else a one-line reason."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got = function(*case.args, **case.kwargs)
        except NotImplementedError:
            return "raises NotImplementedError: not written yet"
        except Exception as error:  # the student's code: report, go on
            where = traceback.extract_tb(error.__traceback__)[-1]
            return (f"raised {type(error).__name__}: {error} (line "
                    f"{where.lineno}: {where.line})")
    why = _compare(got, case.expected, case.tol)
    if why is not None and caught:
        why += f" (and it warned: {caught[0].message})"
    return why


def _as_array(value):
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def _compare(got, expected, tol):
    if got is None:
        return "returned None: is a return statement missing?"
    if isinstance(expected, (tuple, list)) and not np.isscalar(expected):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return (f"expected {len(expected)} values back, got "
                    f"{_describe(got)}")
        for index, (one, want) in enumerate(zip(got, expected)):
            why = _compare(one, want, tol)
            if why is not None:
                return f"value {index + 1}: {why}"
        return None
    try:
        got_array = _as_array(got)
    except (TypeError, ValueError):
        return f"expected a number or an array, got {_describe(got)}"
    want = _as_array(expected)
    if got_array.shape != want.shape:
        return (f"expected {_shape_words(want.shape)}, got "
                f"{_shape_words(got_array.shape)}: {_short(got_array)}")
    if not np.all(np.isfinite(got_array)):
        return f"got a NaN or an infinity: {_short(got_array)}"
    error = float(np.max(np.abs(got_array - want))) if want.size else 0.0
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    if error <= tol * scale:
        return None
    return f"expected {_short(want)}, got {_short(got_array)}"


def _shape_words(shape):
    return "one number" if shape == () else f"an array of shape {shape}"


def _describe(value):
    return f"{type(value).__name__} {_short(value)}"


def _short(value):
    array = np.asarray(value) if not isinstance(value, str) else None
    if array is not None and array.dtype.kind in "fc":
        text = np.array2string(array, precision=6, threshold=8,
                               suppress_small=True)
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "..."


# --- grading a class ----------------------------------------------------

def _record(verdict):
    path = os.environ.get(VERDICTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"label": verdict.label,
                                  "ok": verdict.ok,
                                  "passed": len(verdict.passed),
                                  "failed": len(verdict.failures)}) + "\n")


def grade(paths, timeout=600):
    """{notebook: {label: passed}} for student notebooks, each run on a
    fresh kernel from its own folder; a cell that raises ends that
    notebook's run, and the exercises checked so far still count."""
    import tempfile

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    results = {}
    for path in map(os.path.abspath, paths):
        with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as record:
            os.environ[VERDICTS_ENV] = record.name
            try:
                notebook = nbformat.read(path, as_version=4)
                NotebookClient(notebook, timeout=timeout,
                               kernel_name="python3", resources={
                                   "metadata": {"path": os.path.dirname(
                                       path)}}).execute()
            except CellExecutionError:
                pass
            finally:
                del os.environ[VERDICTS_ENV]
            lines = [json.loads(line) for line in record.read().splitlines()]
        results[path] = {line["label"]: line["ok"] for line in lines}
    return results


def main(arguments):
    if not arguments:
        print("usage: python -m jacolib.exercises NOTEBOOK...")
        return 2
    results = grade(arguments)
    labels = sorted({label for row in results.values() for label in row})
    print("notebook," + ",".join(labels) + ",passed")
    for path, row in results.items():
        marks = [("1" if row[label] else "0") if label in row else ""
                 for label in labels]
        print(f"{os.path.basename(path)}," + ",".join(marks)
              + f",{sum(row.values())}")
    return 0


# --- the exercises -------------------------------------------------------
# Each function makes its exercise's cases from an independent
# computation. Chapter by chapter, in the book's order.

def _golden_minimum(function, low, high, tol=1e-12):
    """The minimiser of a unimodal function on [low, high]."""
    ratio = (math.sqrt(5) - 1) / 2
    a, b = low, high
    while b - a > tol:
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if function(c) < function(d):
            b = d
        else:
            a = c
    return (a + b) / 2


@exercise("ex-best-rate", "Exercise 1.1 (the best constant learning rate)",
          hint="ρ(α) = max_j |1 − α λ_j| is set by the flattest and the "
               "steepest axis only; the best α makes their two factors "
               "equal in size, one shrinking, one oscillating.")
def _best_rate_cases():
    cases = []
    for eigenvalues in [[0.1, 1.0], [0.01, 0.3, 1.0], [2.0, 2.5, 8.0],
                        [1.0, 1.0]]:
        values = np.array(eigenvalues)

        def rho(alpha, values=values):
            return np.max(np.abs(1 - alpha * values))
        best = _golden_minimum(rho, 0.0, 2.0 / values.min())
        cases.append(Case(f"λ = {eigenvalues}", (values,), best, tol=1e-7))
    return cases


# --- chapter 2.1: book/02_1_taylor_hessian.ipynb ---

@exercise("ex-line-newton", "Exercise 2.2 (a Newton step along a line)",
          hint="φ(t) = L(w + t d) has φ'(0) = gᵀd and φ''(0) = dᵀHd; "
               "the parabola φ(0) + t φ'(0) + ½ t² φ''(0) is lowest "
               "where its slope vanishes. Look at the sign of dᵀHd "
               "before you divide by it, and do not normalise d.")
def _line_newton_cases():
    import torch

    def valley(w):  # chapter 2.1's curved double well
        return 0.25 * (w[0] ** 2 - 1) ** 2 + (w[1] - 0.5 * w[0] ** 2) ** 2

    def gradient(w1, w2):  # the valley's, written out by hand
        return np.array([w1 * (w1 ** 2 - 1) - 2 * w1 * (w2 - 0.5 * w1 ** 2),
                         2 * (w2 - 0.5 * w1 ** 2)])

    def by_hand(w1, w2, d):
        H = np.array([[6 * w1 ** 2 - 1 - 2 * w2, -2 * w1],
                      [-2 * w1, 2.0]])
        d = np.asarray(d)
        curv = d @ H @ d
        t_star = -(gradient(w1, w2) @ d) / curv if curv > 0 else 0.0
        point = np.array([w1, w2]) + t_star * d
        return t_star, float(valley(point))

    g = gradient(-0.5, 0.5)
    cases = []
    for name, w, d in [
            ("w = (−0.5, 0.5), steepest descent", (-0.5, 0.5),
             list(-g / np.linalg.norm(g))),
            ("the minimum (1, 0.5): t* = 0", (1.0, 0.5), (0.6, 0.8)),
            ("d = (0, 2), not a unit vector", (0.3, -0.2), (0.0, 2.0)),
            ("near the saddle, w = (0.1, 0), d = (1, 0): dᵀHd < 0, "
             "no step", (0.1, 0.0), (1.0, 0.0))]:
        args = tuple(torch.tensor(v, dtype=torch.float64) for v in (w, d))
        cases.append(Case(name, (valley, *args), by_hand(*w, d),
                          tol=1e-10))
    return cases


# --- chapter 2.2: book/02_2_gauss_newton_response.ipynb ---

@exercise("ex-ggn-cross-entropy",
          "Exercise 2.6 (the cross-entropy's JᵀH_ℓJ)",
          hint="H_ℓ = diag(p) − p pᵀ with p = softmax(z), whatever the "
               "label; then G = Jᵀ H_ℓ J. At logits of ±800, exp "
               "overflows: torch.softmax subtracts the largest logit "
               "first, and so can you.")
def _ggn_cross_entropy_cases():
    import torch
    from torch.func import hessian

    def by_autograd(z, J, label=0):
        # the Hessian of ℓ(z + J v) in v at v = 0: f is linear in v, so
        # it is exactly Jᵀ H_ℓ J, with no formula for H_ℓ used
        def loss(v):
            return -torch.log_softmax(z + J @ v, dim=0)[label]
        return hessian(loss)(torch.zeros(J.shape[1], dtype=J.dtype))

    generator = torch.Generator().manual_seed(22)

    def draw(*shape):
        return torch.randn(*shape, generator=generator,
                           dtype=torch.float64)

    cases = []
    for name, z, J in [
            ("3 classes, 4 parameters", draw(3), draw(3, 4)),
            ("2 classes, 1 parameter", draw(2), draw(2, 1)),
            ("equal logits: p uniform", torch.zeros(4, dtype=torch.float64),
             draw(4, 3)),
            ("logits (800, 0, −800): no overflow",
             torch.tensor([800.0, 0.0, -800.0], dtype=torch.float64),
             draw(3, 2))]:
        cases.append(Case(name, (z, J), by_autograd(z, J).numpy(),
                          tol=1e-10))
    return cases


# --- chapter 3: book/03_vjp_jvp_hvp.ipynb ---

@exercise("ex-reverse-by-hand", "Exercise 3.4 (reverse mode by hand)",
          hint="One elementary operation per line (an exp, a product, "
               "1 + a square, a quotient), each with the partials of its "
               "result in its inputs, at the stored values; then seed "
               "ā = 1 at the last line and sweep back. x₁ is used twice: "
               "its adjoint adds what both uses send back.")
def _reverse_by_hand_cases():
    import torch

    def f(x):
        return x[0] * torch.exp(x[1]) / (1 + x[0] ** 2)

    cases = []
    for name, point in [("the text's point (1.5, −0.5)", (1.5, -0.5)),
                        ("(1, 0), where ∂f/∂x₁ = 0", (1.0, 0.0)),
                        ("(0, 0.3), where f = 0", (0.0, 0.3)),
                        ("(−2, 1.2)", (-2.0, 1.2))]:
        x = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        (gradient,) = torch.autograd.grad(f(x), x)  # independent
        cases.append(Case(name, point, gradient.numpy(), tol=1e-10))
    return cases


# --- chapter 4: book/04_backprop_computation_graphs.ipynb ---

@exercise("ex-softplus", "Exercise 4.1 (add an op: softplus)",
          hint="d/dt log(1 + eᵗ) = eᵗ / (1 + eᵗ), a function met earlier "
               "in the chapter. At t = ±800, eᵗ overflows or vanishes: "
               "write log(1 + eᵗ) with e^(−|t|) instead, and pick a "
               "form of the slope that stays finite at both ends.")
def _softplus_cases():
    import torch

    cases = []
    for name, entries in [("one number, t = 0", 0.0),
                          ("t = [−3, −0.5, 2.5]", [-3.0, -0.5, 2.5]),
                          ("a 2 × 2 array", [[1.0, -1.0], [4.0, 0.25]]),
                          ("t = [−800, 800]: no overflow", [-800.0, 800.0])]:
        t = torch.tensor(entries, dtype=torch.float64, requires_grad=True)
        value = torch.nn.functional.softplus(t)  # torch's own op
        (slope,) = torch.autograd.grad(value.sum(), t)  # its derivative
        cases.append(Case(name, (t.detach().numpy(),),
                          (value.detach().numpy(), slope.numpy()),
                          tol=1e-12))
    return cases


# --- chapter 5: book/05_loss_geometry.ipynb ---

@exercise("ex-cos-gradient", "Exercise 5.1 (the gradient of the cosine)",
          hint="Write CosSim = ⟨x, y⟩ · ‖x‖⁻¹ · ‖y‖⁻¹ and use the "
               "product rule, with ∇_x ⟨x, y⟩ = y and ∇_x ‖x‖ = x/‖x‖ "
               "(‖y‖ is a constant). Whatever y is, the answer is "
               "orthogonal to x.")
def _cos_gradient_cases():
    import torch  # heavy: only when this exercise is checked

    def cos_sim(x, y):  # the definition, differentiated by autograd
        return x @ y / (torch.linalg.vector_norm(x)
                        * torch.linalg.vector_norm(y))

    pairs = [("2-D, a generic pair", [0.5, 1.5], [0.8, -0.6]),
             ("2-D, the same x with y 100 times longer", [0.5, 1.5],
              [80.0, -60.0]),
             ("2-D, a short x (‖x‖ = 0.005)", [0.003, -0.004],
              [0.8, -0.6]),
             ("x = −2y, the antipode (edge case)", [-1.6, 1.2],
              [0.8, -0.6]),
             ("5-D", [1.0, -2.0, 0.5, 3.0, -1.0],
              [0.3, 0.1, -2.0, 1.0, 0.5])]
    cases = []
    for name, x, y in pairs:
        x, y = (torch.tensor(v, dtype=torch.float64) for v in (x, y))
        x_variable = x.clone().requires_grad_()
        (expected,) = torch.autograd.grad(cos_sim(x_variable, y),
                                          x_variable)
        cases.append(Case(name, (x, y.clone()), expected.numpy(),
                          tol=1e-9))
    return cases


# --- chapter 6: book/06_destroying_restoring_jacobian.ipynb ---


@exercise("ex-flip-mean", "Exercise 6.2 (what a flip does on average)",
          hint="Each entry is flipped on its own: work out the mean and "
               "the variance of one entry, η_j with probability 1 − q "
               "and −η_j with probability q, then add the variances up.")
def _flip_mean_cases():
    import itertools

    def by_enumeration(g, q):
        """E and E|· − E|² over all 2^n sign patterns, each weighted by
        its probability: no formula used."""
        g = np.asarray(g, dtype=np.float64)
        patterns = np.array(list(itertools.product((1.0, -1.0),
                                                   repeat=len(g))))
        flips = (patterns < 0).sum(axis=1)
        weights = q ** flips * (1 - q) ** (len(g) - flips)
        outcomes = patterns * g
        mean = weights @ outcomes
        spread = weights @ ((outcomes - mean) ** 2).sum(axis=1)
        return mean, float(spread)

    cases = []
    for name, g, q in [("η = (3, −1, 2), q = 0.25", [3.0, -1.0, 2.0], 0.25),
                       ("four entries, q = 0.45",
                        [0.5, -2.0, 1.5, 0.25], 0.45),
                       ("q = 0.5: no signal left", [1.0, 2.0], 0.5),
                       ("q = 0: no flips", [1.0, -4.0, 0.5], 0.0),
                       ("q = 1: every sign flipped", [2.0, -3.0], 1.0)]:
        g = np.array(g)
        cases.append(Case(name, (g.copy(), q), by_enumeration(g, q),
                          tol=1e-10))
    return cases


# --- chapter 7: book/07_inverse_free_pdm.ipynb ---

@exercise("ex-logdet-relative",
          "Exercise 7.1 (a layer's relative gradient)",
          hint="Start from the gradient in the top rows of the augmented "
               "matrix, (mean δxᵀ + W⁻ᵀ, mean δ) with δ = −r, and multiply "
               "it on the right by ŴᵀŴ block by block; use xᵀWᵀ + βᵀ = rᵀ "
               "and W⁻ᵀWᵀ = I. Do not forget what W⁻ᵀ gives to the β "
               "column.")
def _logdet_relative_cases():
    import torch

    def relative_by_autograd(W, beta, X):
        # autograd through slogdet, then times ŴᵀŴ: no formula reused
        top = torch.cat([W, beta[:, None]], 1).requires_grad_()
        r = X @ top[:, :-1].mT + top[:, -1]
        log_p = (-0.5 * r.pow(2).sum(-1)).mean() \
            + torch.linalg.slogdet(top[:, :-1]).logabsdet
        (grad,) = torch.autograd.grad(log_p, top)
        n = len(W)
        W_hat = torch.eye(n + 1, dtype=torch.float64)
        W_hat[:n] = top.detach()
        relative = grad @ W_hat.mT @ W_hat
        return relative[:, :n].numpy(), relative[:, n].numpy()

    generator = torch.Generator().manual_seed(7)

    def draw(*shape):
        return torch.randn(*shape, generator=generator,
                           dtype=torch.float64)

    X = draw(40, 3) + 1.0  # not centred
    C = X.mT @ X / len(X) - X.mean(0)[:, None] * X.mean(0)[None]
    values, Q = torch.linalg.eigh(C)
    W_fit = Q @ torch.diag(values ** -0.5) @ Q.mT  # W Σ Wᵀ = I
    inputs = [("n = 3, N = 40, W and β random", (draw(3, 3), draw(3), X)),
              ("β = 0 (a layer without bias)",
               (draw(3, 3), torch.zeros(3, dtype=torch.float64), X)),
              ("n = 1: a scalar w and β", (draw(1, 1), draw(1),
                                           draw(30, 1) - 2.0)),
              ("one sample, N = 1", (draw(4, 4), draw(4), draw(1, 4))),
              ("at the Gaussian fit β = −W m, W Σ Wᵀ = I (zero)",
               (W_fit, -W_fit @ X.mean(0), X))]
    return [Case(name, args, relative_by_autograd(*args), tol=1e-9)
            for name, args in inputs]


# --- chapter 8: book/08_gradient_alignment.ipynb ---


@exercise("ex-linear-internal",
          "Exercise 8.2 (internal and external terms)",
          hint="Each gradient of W_l is s_(l−1)ᵀ times an adjoint at s_l. "
               "Start from ℓ_m's adjoint (2/N)(s_m − s_m*), carry it "
               "down to s_l through the weights in between (each "
               "transposed, in reverse order), then keep the part made "
               "of s_m and the part made of s_m* apart.")
def _linear_internal_cases():
    import torch

    def by_autograd(weights, X, targets, layer, m):
        # in = the gradient with zero targets (it is linear in the
        # residual), ex = in − the true gradient
        def gradients(goal):
            Ws = [W.clone().requires_grad_(True) for W in weights]
            s, states = X, []
            for W in Ws:
                s = s @ W
                states.append(s)
            return [torch.autograd.grad(
                ((states[k - 1] - goal[k - 1]) ** 2).sum(1).mean(),
                Ws[layer - 1], retain_graph=True)[0]
                for k in (layer, m)]
        true = gradients(targets)
        internal = gradients([torch.zeros_like(t) for t in targets])
        return (internal[0], internal[0] - true[0],
                internal[1], internal[1] - true[1])

    generator = torch.Generator().manual_seed(80)
    cases = []
    for name, depth, n_samples, width, layer, m, zero in [
            ("two layers, l = 1, m = 2", 2, 6, 4, 1, 2, False),
            ("four layers, l = 2, m = 4", 4, 5, 3, 2, 4, False),
            ("N = 1 sample, l = 1, m = 3", 3, 1, 4, 1, 3, False),
            ("zero targets: no external term", 3, 4, 3, 2, 3, True)]:
        def gaussian(*shape):
            return torch.randn(*shape, generator=generator,
                               dtype=torch.float64)
        weights = [gaussian(width, width) / width ** 0.5
                   for _ in range(depth)]
        X = gaussian(n_samples, width)
        targets = [gaussian(n_samples, width) * (0 if zero else 1)
                   for _ in range(depth)]
        args = (weights, X, targets, layer, m)
        cases.append(Case(name, args, by_autograd(*args), tol=1e-10))
    return cases


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
