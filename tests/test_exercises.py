"""jacolib.exercises: verdicts for every kind of student code, and
reference cases that come from a computation independent of the
solution."""

import numpy as np
import pytest
import torch

from jacolib import exercises
from jacolib.exercises import Case

LABEL = "ex-test-square"


@pytest.fixture(autouse=True)
def square_exercise():
    """A toy exercise: return x² entrywise."""
    @exercises.exercise(LABEL, "Exercise 0.1 (squares)",
                        hint="multiply x by itself")
    def cases():
        return [Case("x = 3", (3.0,), 9.0),
                Case("x = [1, 2]", (np.array([1.0, 2.0]),),
                     np.array([1.0, 4.0]))]
    yield
    del exercises.EXERCISES[LABEL]


def test_a_right_function_passes_every_case(capsys):
    exercises.check(LABEL, lambda x: x * x)
    assert capsys.readouterr().out == (
        "Exercise 0.1 (squares): all 2 cases pass  ✓\n")
    # numpy and torch answers count the same
    assert exercises.run(LABEL, lambda x: torch.as_tensor(x) ** 2).ok


def test_a_wrong_value_names_the_case_the_expected_and_the_received(
        capsys):
    exercises.check(LABEL, lambda x: x + x)
    out = capsys.readouterr().out
    assert "0 of 2 cases pass" in out
    assert "x = 3  ✗  expected 9., got 6." in out
    assert "Hint: multiply x by itself" in out


def test_a_wrong_shape_an_exception_and_a_nan_each_get_a_verdict():
    shape = exercises.run(LABEL, lambda x: np.atleast_1d(x)[:1] ** 2)
    assert shape.failures["x = 3"].startswith(
        "expected one number, got an array of shape (1,)")
    assert "expected an array of shape (2,), got an array of shape " \
           "(1,)" in shape.failures["x = [1, 2]"]

    def broken(x):
        return x.no_such_thing

    raised = exercises.run(LABEL, broken)
    assert raised.failures["x = 3"].startswith("raised AttributeError")
    assert "return x.no_such_thing" in raised.failures["x = 3"]
    nan = exercises.run(LABEL, lambda x: x * np.nan)
    assert "NaN" in nan.failures["x = 3"]
    assert "returned None" in exercises.run(
        LABEL, lambda x: None).failures["x = 3"]


def test_the_student_stub_is_not_written_yet_and_gets_the_hint(capsys):
    def square(x):
        """x², entrywise."""
        ...

    exercises.check(LABEL, square)
    out = capsys.readouterr().out
    assert "not written yet" in out and "Hint: multiply x by itself" in out
    assert not exercises.run(LABEL, square).ok


def test_check_never_raises_for_the_students_code():
    def explodes(x):
        raise RuntimeError("boom")

    verdict = exercises.run(LABEL, explodes)
    assert not verdict.ok and len(verdict.failures) == 2


def test_bad_calls_of_check_are_refused_with_the_known_labels():
    with pytest.raises(ValueError, match="no exercise 'ex-nope'.*"
                                         "ex-test-square"):
        exercises.check("ex-nope", lambda x: x)
    with pytest.raises(ValueError, match="expects your function; got int"):
        exercises.check(LABEL, 3)


def test_several_values_back_are_compared_one_by_one():
    @exercises.exercise("ex-test-pair", "pair", hint="h")
    def cases():
        return [Case("pair", (2.0,), (2.0, 4.0))]
    try:
        assert exercises.run("ex-test-pair", lambda x: (x, x * x)).ok
        why = exercises.run("ex-test-pair", lambda x: (x, x)).failures
        assert why["pair"].startswith("value 2: expected 4., got 2.")
        assert "expected 2 values back" in exercises.run(
            "ex-test-pair", lambda x: x).failures["pair"]
    finally:
        del exercises.EXERCISES["ex-test-pair"]


def test_the_best_rate_cases_agree_with_the_closed_form():
    # The cases come from a numerical search; the closed form
    # 2 / (λmin + λmax) is the independent check of that search.
    for case in exercises.EXERCISES["ex-best-rate"].make_cases():
        values = case.args[0]
        assert case.expected == pytest.approx(
            2 / (values.min() + values.max()), abs=1e-9)


@pytest.mark.slow
def test_grading_a_class_runs_each_notebook_and_counts_its_verdicts(
        tmp_path, capsys):
    import nbformat

    def notebook(body):
        return nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell(
                "import numpy as np\nfrom jacolib import exercises"),
            nbformat.v4.new_code_cell(body + "\nexercises.check("
                                      "'ex-best-rate', best_learning_rate)"),
            nbformat.v4.new_code_cell("raise RuntimeError('later cell')")])

    right = ("def best_learning_rate(eigenvalues):\n"
             "    return 2 / (eigenvalues.min() + eigenvalues.max())")
    wrong = ("def best_learning_rate(eigenvalues):\n"
             "    return 1 / eigenvalues.max()")
    for name, body in [("ada", right), ("bob", wrong)]:
        nbformat.write(notebook(body), tmp_path / f"{name}.ipynb")
    assert exercises.main([str(tmp_path / "ada.ipynb"),
                           str(tmp_path / "bob.ipynb")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "notebook,ex-best-rate,passed", "ada.ipynb,1,1", "bob.ipynb,0,0"]


# --- chapter 3: ex-reverse-by-hand ---

def reverse_by_hand_closed_form(x1, x2):
    # ∂f/∂x₁ = e^{x₂} (1 − x₁²) / (1 + x₁²)², ∂f/∂x₂ = f
    e, d = np.exp(x2), 1 + x1 ** 2
    return e * (1 - x1 ** 2) / d ** 2, x1 * e / d


def test_reverse_by_hand_cases_agree_with_the_closed_form():
    verdict = exercises.run("ex-reverse-by-hand",
                            reverse_by_hand_closed_form)
    assert verdict.ok and len(verdict.results) == 4


def test_reverse_by_hand_refuses_a_sweep_that_drops_a_use():
    # x₁ feeds both the product and 1 + x₁²: forgetting the second use
    # leaves ∂f/∂x₁ = e^{x₂} / (1 + x₁²).
    def one_use_only(x1, x2):
        e, d = np.exp(x2), 1 + x1 ** 2
        return e / d, x1 * e / d

    verdict = exercises.run("ex-reverse-by-hand", one_use_only)
    assert "(1, 0), where ∂f/∂x₁ = 0" in verdict.failures
    assert verdict.failures["(1, 0), where ∂f/∂x₁ = 0"].startswith(
        "expected [0. 0.5], got [0.5 0.5]")
    assert "(0, 0.3), where f = 0" in verdict.passed


# --- chapter 4: ex-softplus ---

def test_softplus_cases_pass_a_stable_rule_and_fail_a_naive_one():
    def stable(t):
        return (np.log1p(np.exp(-np.abs(t))) + np.maximum(t, 0),
                0.5 * (1 + np.tanh(0.5 * t)))

    def naive(t):  # exp(800) overflows
        return np.log(1 + np.exp(t)), np.exp(t) / (1 + np.exp(t))

    assert exercises.run("ex-softplus", stable).ok
    failures = exercises.run("ex-softplus", naive).failures
    assert list(failures) == ["t = [−800, 800]: no overflow"]
    assert "NaN or an infinity" in failures["t = [−800, 800]: no overflow"]


def test_softplus_refuses_the_wrong_slope():
    # tanh(t/2) instead of (1 + tanh(t/2)) / 2 = σ(t)
    def wrong_slope(t):
        return (np.log1p(np.exp(-np.abs(t))) + np.maximum(t, 0),
                np.tanh(0.5 * t))

    verdict = exercises.run("ex-softplus", wrong_slope)
    assert verdict.failures["one number, t = 0"].startswith(
        "value 2: expected 0.5, got 0.")
    assert not verdict.passed


# --- chapter 5: ex-cos-gradient ---

def test_cos_gradient_passes_the_closed_form_and_names_what_fails():
    def closed_form(x, y):
        x_norm, y_norm = x.norm(), y.norm()
        cos = x @ y / (x_norm * y_norm)
        return y / (x_norm * y_norm) - cos * x / x_norm ** 2

    def forgets_the_x_term(x, y):  # only ∇⟨x, y⟩ / (‖x‖ ‖y‖)
        return y / (x.norm() * y.norm())

    def forgets_the_y_norm(x, y):  # right only when ‖y‖ = 1
        return (y - (x @ y) * x / x.norm() ** 2) / x.norm()

    assert exercises.run("ex-cos-gradient", closed_form).ok
    failures = exercises.run("ex-cos-gradient", forgets_the_x_term).failures
    edge = "x = −2y, the antipode (edge case)"
    assert failures[edge].startswith("expected [0. 0.], got [ 0.4 -0.3]")
    verdict = exercises.run("ex-cos-gradient", forgets_the_y_norm)
    assert "2-D, the same x with y 100 times longer" in verdict.failures
    assert "2-D, a generic pair" in verdict.passed  # there ‖y‖ = 1


def test_flip_mean_refuses_a_mean_without_the_minus_sign():
    def forgets_the_flipped_half(g, q):  # (1 − q) g, not (1 − 2q) g
        g = np.asarray(g, dtype=float)
        return (1 - q) * g, 4 * q * (1 - q) * float(g @ g)

    verdict = exercises.run("ex-flip-mean", forgets_the_flipped_half)
    assert not verdict.ok
    assert "q = 0.5: no signal left" in verdict.failures
    assert "q = 0: no flips" in verdict.passed


# --- chapter 7: ex-logdet-relative ---

def test_the_authors_bias_rule_fails_where_beta_is_not_zero():
    # The rule of the authors' code lacks the +β of the log-determinant
    # in the bias update: it must fail every case with β ≠ 0 and pass
    # the one with β = 0.
    def right(W, beta, X):
        r = X @ W.mT + beta
        dW = -r.mT @ (r @ W) / len(X) + W
        dbeta = (-r * (1 + r @ beta)[:, None]).mean(0) + beta
        return dW, dbeta

    def without_beta(W, beta, X):
        dW, dbeta = right(W, beta, X)
        return dW, dbeta - beta

    assert exercises.run("ex-logdet-relative", right).ok
    failures = exercises.run("ex-logdet-relative", without_beta).failures
    assert "n = 3, N = 40, W and β random" in failures
    assert "β = 0 (a layer without bias)" not in failures
    assert all(why.startswith("value 2") for why in failures.values())


def test_the_logdet_relative_cases_vanish_at_the_gaussian_fit():
    # An independent property of the autograd cases: at the Gaussian
    # maximum-likelihood fit the gradient, and so the relative one, is 0.
    cases = exercises.EXERCISES["ex-logdet-relative"].make_cases()
    at_fit = cases[-1].expected
    assert np.abs(at_fit[0]).max() < 1e-12
    assert np.abs(at_fit[1]).max() < 1e-12


# --- chapter 8: ex-linear-internal ---

def _four_terms(weights, X, targets, layer, m):
    s, between = [X], torch.eye(X.shape[-1], dtype=X.dtype)
    for k, W in enumerate(weights[:m], 1):
        s.append(s[-1] @ W)
        if k > layer:
            between = between @ W
    back = 2 / X.shape[-2] * s[layer - 1].mT
    return (back @ s[layer], back @ targets[layer - 1],
            back @ s[layer] @ between @ between.mT,
            back @ targets[m - 1] @ between.mT)


def test_linear_internal_refuses_a_distant_term_not_carried_down():
    # Forgetting to carry ℓ_m's target back through W_{l+1:m} (using
    # s_m* as if it sat at s_l) fails every case with targets, and only
    # in the fourth value; the zero-target case still passes.
    def target_not_carried(weights, X, targets, layer, m):
        in_l, ex_l, in_m, _ = _four_terms(weights, X, targets, layer, m)
        return in_l, ex_l, in_m, 2 / X.shape[-2] * X.mT @ targets[m - 1]

    assert exercises.run("ex-linear-internal", _four_terms).ok
    failures = exercises.run("ex-linear-internal",
                             target_not_carried).failures
    assert "four layers, l = 2, m = 4" in failures
    assert "zero targets: no external term" not in failures
    assert all(why.startswith("value 4") for why in failures.values())


def test_linear_internal_cases_satisfy_the_squared_norm_formula():
    # Independent of any solution: the autograd internal parts of every
    # case have in_l·in_m = (4/N²) ‖s_(l−1)ᵀ s_m‖² ≥ 0.
    for case in exercises.EXERCISES["ex-linear-internal"].make_cases():
        weights, X, _, layer, m = case.args
        s = [X]
        for W in weights:
            s.append(s[-1] @ W)
        in_l, _, in_m, _ = case.expected
        formula = 4 / len(X) ** 2 * (s[layer - 1].mT @ s[m]).pow(2).sum()
        assert torch.allclose((in_l * in_m).sum(), formula, rtol=1e-10)


# --- chapters 1, 2.1, 2.2: ex-best-rate, ex-line-newton,
# ex-ggn-cross-entropy ---

def test_best_rate_refuses_the_rate_of_the_steepest_axis_alone():
    # 1/λmax solves the steepest axis in one step but is not the best
    # rate unless every eigenvalue is equal: only [1, 1] passes.
    def steepest_only(eigenvalues):
        return 1 / np.max(eigenvalues)

    failures = exercises.run("ex-best-rate", steepest_only).failures
    assert "λ = [0.1, 1.0]" in failures
    assert "λ = [1.0, 1.0]" not in failures
    assert failures["λ = [0.1, 1.0]"].startswith("expected 1.818182")


def _valley_parts(loss, w, d):
    from torch.func import grad, hessian
    return grad(loss)(w) @ d, d @ hessian(loss)(w) @ d


def test_line_newton_refuses_a_step_where_the_curvature_is_negative():
    # Dividing by a negative dᵀHd steps toward the nearby saddle: the
    # edge case says so; every case with dᵀHd > 0 still passes.
    def newton(loss, w, d):
        slope, curv = _valley_parts(loss, w, d)
        t_star = -slope / curv if curv > 0 else torch.tensor(0.0)
        return t_star, loss(w + t_star * d)

    def without_the_sign_test(loss, w, d):
        slope, curv = _valley_parts(loss, w, d)
        return -slope / curv, loss(w - slope / curv * d)

    def normalising_d(loss, w, d):
        return newton(loss, w, d / d.norm())

    assert exercises.run("ex-line-newton", newton).ok
    failures = exercises.run("ex-line-newton",
                             without_the_sign_test).failures
    assert list(failures) == [
        "near the saddle, w = (0.1, 0), d = (1, 0): dᵀHd < 0, no step"]
    assert failures[next(iter(failures))].startswith("value 1: expected 0.")
    assert "d = (0, 2), not a unit vector" in exercises.run(
        "ex-line-newton", normalising_d).failures


def test_line_newton_cases_agree_with_a_grid_on_the_quadratic_model():
    # Independent of the hand-written derivatives: the model's minimum
    # found on a fine grid of t, from finite differences of the loss.
    for case in exercises.EXERCISES["ex-line-newton"].make_cases()[:3]:
        loss, w, d = case.args
        h = 1e-4
        phi = [loss(w + s * h * d).item() for s in (-1, 0, 1)]
        slope, curv = (phi[2] - phi[0]) / (2 * h), \
            (phi[2] - 2 * phi[1] + phi[0]) / h ** 2
        t = np.linspace(-2, 2, 400001)
        model = slope * t + 0.5 * curv * t ** 2
        assert t[model.argmin()] == pytest.approx(case.expected[0],
                                                  abs=1e-4)


def test_ggn_cross_entropy_refuses_an_overflowing_softmax():
    # exp(800) overflows to inf: the naive softmax gives NaN on the edge
    # case only, and forgetting −ppᵀ fails every case.
    def naive(z, J):
        p = torch.exp(z) / torch.exp(z).sum()
        return J.T @ (torch.diag(p) - torch.outer(p, p)) @ J

    def diagonal_only(z, J):
        return J.T @ torch.diag(torch.softmax(z, dim=0)) @ J

    failures = exercises.run("ex-ggn-cross-entropy", naive).failures
    assert list(failures) == ["logits (800, 0, −800): no overflow"]
    assert "NaN" in failures["logits (800, 0, −800): no overflow"]
    assert len(exercises.run("ex-ggn-cross-entropy",
                             diagonal_only).failures) == 4


def test_ggn_cross_entropy_cases_are_psd_and_match_the_formula():
    # Independent of autograd: diag(p) − ppᵀ by hand, and G is PSD.
    for case in exercises.EXERCISES["ex-ggn-cross-entropy"].make_cases():
        z, J = (a.numpy() for a in case.args)
        p = np.exp(z - z.max())
        p /= p.sum()
        G = J.T @ (np.diag(p) - np.outer(p, p)) @ J
        np.testing.assert_allclose(case.expected, G, atol=1e-12)
        assert np.linalg.eigvalsh(case.expected)[0] > -1e-12


def test_a_stub_run_without_its_source_still_says_not_written_yet(
        square_exercise):
    # exec'd code has no source for inspect to read: the bytecode tells.
    scope = {}
    exec('def square(x):\n    """x squared."""\n    ...\n', scope)
    assert exercises.run(LABEL, scope["square"]).not_written
    exec("def square(x):\n    return x * x\n", scope)
    assert exercises.run(LABEL, scope["square"]).ok
